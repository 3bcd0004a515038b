"""The directory's filters, defined once: the Metrics page and ``GET /api/v1/metrics/`` read
the same parameters with the same validation, and refuse an invalid value with the same
sentence (``MetricFilterSet.refusal``)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django_filters.widgets import BooleanWidget

from lexicon_core.tiers import Tier
from metrics_dictionary.errors import DefinitionInvalid
from metrics_dictionary.models import Metric, MetricOwner, MetricStatus
from metrics_dictionary.selectors import metric_ids_owned_by, metrics_matching

# The parameters, in the order the page shows them (the API documents the same list).
PARAMETERS = ("q", "domain", "tier", "status", "owner", "mine", "attention")


class MetricFilterSet(django_filters.FilterSet):
    """``q`` searches (ranked as the catalog search ranks, then by name), ``domain`` (any
    case), ``tier``, ``status``, ``owner`` (a username or a team name), ``mine=1`` (owned by
    me directly or through one of my teams; ``owner`` is then ignored), ``attention=1``
    (needs attention only)."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    domain = django_filters.CharFilter(field_name="domain", lookup_expr="iexact")
    tier = django_filters.ChoiceFilter(field_name="tier", choices=Tier.choices)
    status = django_filters.ChoiceFilter(field_name="status", choices=MetricStatus.choices)
    owner = django_filters.CharFilter(method="filter_owner", label="Owner (username or team)")
    mine = django_filters.BooleanFilter(method="filter_mine", widget=BooleanWidget)
    attention = django_filters.BooleanFilter(method="filter_attention", widget=BooleanWidget)

    class Meta:
        model = Metric
        fields = list(PARAMETERS)

    def filter_q(self, queryset: QuerySet[Metric], name: str, value: str) -> QuerySet[Metric]:
        return metrics_matching(queryset, value[:200])

    def filter_owner(self, queryset: QuerySet[Metric], name: str, value: str) -> QuerySet[Metric]:
        if self.form.cleaned_data.get("mine"):
            return queryset
        owners = MetricOwner.objects.filter(Q(user__username=value) | Q(team__name=value))
        return queryset.filter(pk__in=owners.values("metric_id"))

    def filter_mine(self, queryset: QuerySet[Metric], name: str, value: bool) -> QuerySet[Metric]:
        if not value:
            return queryset
        return queryset.filter(pk__in=metric_ids_owned_by(self.request.user))

    def filter_attention(
        self, queryset: QuerySet[Metric], name: str, value: bool
    ) -> QuerySet[Metric]:
        return queryset.filter(needs_attention=True) if value else queryset

    def values(self) -> dict[str, str]:
        """The search and the choices as given, for the page's form and links: stripped, the
        search cut to 200 characters, no owner with ``mine``."""
        values = {key: str(self.data.get(key, "")).strip() for key in PARAMETERS[:5]}
        values["q"] = values["q"][:200].strip()
        self.is_valid()  # validates, so that cleaned_data exists
        if self.form.cleaned_data.get("mine"):
            values["owner"] = ""
        return values

    def refusal(self) -> DefinitionInvalid:
        """The invalid values as one sentence and per parameter (the API answers 400 with it,
        the page shows it)."""
        errors = {name: [str(e) for e in errs] for name, errs in self.errors.items()}
        detail = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in errors.items())
        return DefinitionInvalid(f"Invalid filter — {detail}", errors=errors)
