"""Audit log filters, defined once for the page, the CSV export and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from governance.models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="iexact", label="Actor (username)")
    action = django_filters.CharFilter(method="filter_action", label="Action (e.g. asset.tier_set or asset.)")
    object_type = django_filters.CharFilter(field_name="object_type", lookup_expr="iexact",
                                            label="Object type (e.g. catalog.asset)")
    object_id = django_filters.CharFilter(field_name="object_id", label="Object id")
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label="From (date)",
                                      widget=forms.DateInput(attrs={"type": "date"}))
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte", label="To (date, inclusive)",
                                      widget=forms.DateInput(attrs={"type": "date"}))
    q = django_filters.CharFilter(method="filter_text", label="Text")

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "object_type", "object_id", "since", "until", "q"]

    def filter_action(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        # "asset." lists every asset action; a full name matches exactly.
        return queryset.filter(action__startswith=value) if value.endswith(".") else queryset.filter(action=value)

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()[:200]
        if not value:
            return queryset
        return queryset.filter(Q(object_repr__icontains=value) | Q(action__icontains=value)
                               | Q(actor_name__icontains=value) | Q(object_id=value)
                               | Q(before__icontains=value) | Q(after__icontains=value)
                               | Q(request_id=value))
