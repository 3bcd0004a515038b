"""Filters of the PII review queue, defined once: the page and the API use them."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from catalog.models import Project
from governance.models import ColumnClassification, PiiCategory

TIER_CHOICES = [("1", "Tier 1"), ("2", "Tier 2"), ("3", "Tier 3"), ("none", "No tier")]


class ReviewQueueFilter(django_filters.FilterSet):
    project = django_filters.ModelChoiceFilter(field_name="column__asset__project", queryset=Project.objects.all())
    tier = django_filters.ChoiceFilter(method="filter_tier", choices=TIER_CHOICES, label="Tier")
    category = django_filters.ChoiceFilter(choices=PiiCategory.choices)
    origin = django_filters.ChoiceFilter(choices=ColumnClassification.Origin.choices)
    status = django_filters.ChoiceFilter(choices=ColumnClassification.Status.choices, empty_label="Any status")
    q = django_filters.CharFilter(method="filter_text", label="Asset or column")

    class Meta:
        model = ColumnClassification
        fields = ["project", "tier", "category", "origin", "status", "q"]

    def filter_tier(self, queryset, name, value):
        """The effective tier: a reviewer's decision, else dbt's."""
        if value == "none":
            return queryset.filter(column__asset__tier_decision__isnull=True, column__asset__dbt_tier__isnull=True)
        tier = int(value)
        return queryset.filter(Q(column__asset__tier_decision__tier=tier)
                               | Q(column__asset__tier_decision__isnull=True, column__asset__dbt_tier=tier))

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(column__name__icontains=value) | Q(column__asset__name__icontains=value))


def review_queue(params, *, default_status: str = ColumnClassification.Status.SUGGESTED) -> ReviewQueueFilter:
    """The queue filtered by ``params``; without a status filter, open suggestions only."""
    params = params.copy()
    if "status" not in params:
        params["status"] = default_status
    queryset: QuerySet = ColumnClassification.objects.filter(
        column__removed_at__isnull=True, column__asset__removed_at__isnull=True,
    ).exclude(origin=ColumnClassification.Origin.PERSON, status=ColumnClassification.Status.CONFIRMED,
              category=PiiCategory.NONE).select_related(
        "column__asset__project", "column__asset__tier_decision", "source_column__asset", "decided_by",
    ).order_by("column__asset__project__name", "column__asset__name", "column__position", "column__name", "id")
    return ReviewQueueFilter(params, queryset=queryset)
