"""Asset filters, defined once: the search page, the browse pages and the API use them."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet

from catalog.models import Asset, AssetKind, Column, Project, SourceFreshnessResult
from lexicon_core.tiers import Tier


class AssetFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=AssetKind.choices)
    project = django_filters.ModelMultipleChoiceFilter(queryset=Project.objects.all())
    database = django_filters.CharFilter(field_name="database", lookup_expr="iexact")
    schema = django_filters.CharFilter(field_name="schema", lookup_expr="iexact")
    # The effective tier, the one the search facet counts: the tier of the asset's search
    # document, which governance's tier decisions and the metric dictionary keep up to date
    # (catalog.search.search_signals_set); dbt's tier where nobody decided otherwise.
    tier = django_filters.MultipleChoiceFilter(
        field_name="search_document__tier", choices=Tier.choices
    )
    owner = django_filters.CharFilter(method="filter_owner", label="Owner (email or name)")
    tag = django_filters.CharFilter(method="filter_tag")
    has_pii = django_filters.BooleanFilter(method="filter_has_pii", label="Has PII columns")
    freshness = django_filters.ChoiceFilter(
        method="filter_freshness",
        choices=[("pass", "Fresh"), ("warn", "Warn"), ("error", "Stale")],
        label="Freshness status",
    )
    deprecated = django_filters.BooleanFilter(
        field_name="search_document__deprecated", label="Deprecated"
    )
    include_removed = django_filters.BooleanFilter(
        method="filter_include_removed", label="Include removed"
    )

    class Meta:
        model = Asset
        fields = [
            "kind",
            "project",
            "database",
            "schema",
            "tier",
            "owner",
            "tag",
            "has_pii",
            "freshness",
            "deprecated",
        ]

    @property
    def qs(self) -> QuerySet[Asset]:
        queryset = super().qs
        if not (self.form.is_valid() and self.form.cleaned_data.get("include_removed")):
            queryset = queryset.filter(removed_at__isnull=True)
        return queryset

    def filter_owner(self, queryset, name, value):
        # dbt_owners is a JSON list of strings; matching its text works on every database.
        return queryset.filter(dbt_owners__icontains=value.strip()) if value.strip() else queryset

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__icontains=f'"{value.strip()}"') if value.strip() else queryset

    def filter_has_pii(self, queryset, name, value):
        flagged = Exists(
            Column.objects.filter(asset=OuterRef("pk"), removed_at__isnull=True).exclude(dbt_pii="")
        )
        return queryset.filter(flagged) if value else queryset.filter(~flagged)

    def filter_freshness(self, queryset, name, value):
        latest = SourceFreshnessResult.objects.filter(asset=OuterRef("pk")).order_by(
            "-generated_at", "-id"
        )
        statuses = {"error": ["error", "runtime error"]}.get(value, [value])
        return queryset.annotate(latest_freshness=latest.values("status")[:1]).filter(
            Q(latest_freshness__in=statuses)
        )

    def filter_include_removed(self, queryset, name, value):
        return queryset


def search_scope(filters: AssetFilter) -> tuple[QuerySet[Asset] | None, bool]:
    """What a search runs over: ``(candidates, include_removed)``.

    Without any filter the search reads its own index only (no join to the assets);
    with one, the filtered assets are the candidates.
    """
    include_removed = bool(
        filters.form.is_valid() and filters.form.cleaned_data.get("include_removed")
    )
    filtered = any(
        value
        for key in filters.data
        if key not in ("q", "page", "include_removed")
        for value in filters.data.getlist(key)
    )
    return (filters.qs if filtered else None), include_removed
