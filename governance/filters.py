"""Filters defined once for pages, CSV exports and the API: the audit log and the PII
review queue."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from catalog.models import Project
from governance.models import AuditEvent, ColumnClassification, PiiCategory
from governance.selectors import effective_tier_filter
from lexicon_core.tiers import Tier


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        field_name="actor_name", lookup_expr="iexact", label="Actor (username)"
    )
    action = django_filters.CharFilter(
        method="filter_action", label="Action (e.g. asset.tier_set or asset.)"
    )
    object_type = django_filters.CharFilter(
        field_name="object_type", lookup_expr="iexact", label="Object type (e.g. catalog.asset)"
    )
    object_id = django_filters.CharFilter(field_name="object_id", label="Object id")
    since = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__gte",
        label="From (date)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__lte",
        label="To (date, inclusive)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    q = django_filters.CharFilter(method="filter_text", label="Text")

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "object_type", "object_id", "since", "until", "q"]

    def filter_action(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        # "asset." lists every asset action; a full name matches exactly.
        return (
            queryset.filter(action__startswith=value)
            if value.endswith(".")
            else queryset.filter(action=value)
        )

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()[:200]
        if not value:
            return queryset
        return queryset.filter(
            Q(object_repr__icontains=value)
            | Q(action__icontains=value)
            | Q(actor_name__icontains=value)
            | Q(object_id=value)
            | Q(before__icontains=value)
            | Q(after__icontains=value)
            | Q(request_id=value)
        )


TIER_CHOICES = [(str(tier.value), tier.label) for tier in Tier] + [("none", "No tier")]


class ReviewQueueFilter(django_filters.FilterSet):
    project = django_filters.ModelChoiceFilter(
        field_name="column__asset__project", queryset=Project.objects.all()
    )
    tier = django_filters.ChoiceFilter(method="filter_tier", choices=TIER_CHOICES, label="Tier")
    category = django_filters.ChoiceFilter(choices=PiiCategory.choices)
    origin = django_filters.ChoiceFilter(choices=ColumnClassification.Origin.choices)
    status = django_filters.ChoiceFilter(
        choices=ColumnClassification.Status.choices, empty_label="Any status"
    )
    q = django_filters.CharFilter(method="filter_text", label="Asset or column")

    class Meta:
        model = ColumnClassification
        fields = ["project", "tier", "category", "origin", "status", "q"]

    def filter_tier(self, queryset, name, value):
        """The effective tier: a reviewer's decision, else dbt's."""
        tier = None if value == "none" else int(value)
        return queryset.filter(effective_tier_filter(tier, through="column__asset__"))

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(column__name__icontains=value) | Q(column__asset__name__icontains=value)
        )


def review_queue(
    params, *, default_status: str = ColumnClassification.Status.SUGGESTED
) -> ReviewQueueFilter:
    """The queue filtered by ``params``; without a status filter, open suggestions only."""
    params = params.copy()
    if "status" not in params:
        params["status"] = default_status
    queryset: QuerySet = (
        ColumnClassification.objects.filter(
            column__removed_at__isnull=True,
            column__asset__removed_at__isnull=True,
        )
        .exclude(
            origin=ColumnClassification.Origin.PERSON,
            status=ColumnClassification.Status.CONFIRMED,
            category=PiiCategory.NONE,
        )
        .select_related(
            "column__asset__project",
            "source_column__asset",
            "decided_by",
        )
        .order_by(
            "column__asset__project__name",
            "column__asset__name",
            "column__position",
            "column__name",
            "id",
        )
    )
    return ReviewQueueFilter(params, queryset=queryset)
