"""Serializers of the tier policy API and of an asset's policy checks."""

from __future__ import annotations

from rest_framework import serializers

from governance.models import TierPolicy


class TierPolicySerializer(serializers.ModelSerializer):
    """A tier's policy; ``stored`` is false while the defaults are in force."""

    updated_by = serializers.CharField(source="updated_by.username", default=None, read_only=True)
    stored = serializers.SerializerMethodField()

    class Meta:
        model = TierPolicy
        fields = [
            "tier",
            "freshness_sla_hours",
            "required_tests",
            "description_required",
            "column_docs_target_pct",
            "owner_required",
            "pii_review_required",
            "stored",
            "updated_by",
            "updated_at",
        ]
        read_only_fields = ["tier", "updated_at"]

    def get_stored(self, policy: TierPolicy) -> bool:
        return policy.pk is not None


class TierPolicyInputSerializer(serializers.Serializer):
    """PUT body: every field of the policy (a whole replacement)."""

    freshness_sla_hours = serializers.IntegerField(min_value=1, max_value=24 * 366, allow_null=True)
    required_tests = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=20
    )
    description_required = serializers.BooleanField()
    column_docs_target_pct = serializers.IntegerField(min_value=0, max_value=100)
    owner_required = serializers.BooleanField()
    pii_review_required = serializers.BooleanField()


class PolicyCheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    passed = serializers.BooleanField()
    detail = serializers.CharField()
