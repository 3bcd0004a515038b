"""Serializers of the scorecard API."""

from __future__ import annotations

from rest_framework import serializers


class FailingOtherSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.CharField()
    why = serializers.CharField()


class KpiSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    available = serializers.BooleanField()
    value = serializers.FloatField(
        allow_null=True, help_text="percent, null when nothing is measured"
    )
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    target = serializers.FloatField(allow_null=True)
    meets_target = serializers.BooleanField(allow_null=True)
    unit = serializers.CharField()
    failing_asset_ids = serializers.ListField(child=serializers.IntegerField())
    unavailable_reason = serializers.CharField()
    failing_other = FailingOtherSerializer(
        many=True, help_text="Failing items without a catalog asset"
    )


class ScorecardSerializer(serializers.Serializer):
    kpis = KpiSerializer(many=True)
