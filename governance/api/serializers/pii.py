"""Serializers of the PII API: a column's classifications and the review queue."""

from __future__ import annotations

from rest_framework import serializers

from governance.models import ColumnClassification, PiiCategory


class ClassificationSerializer(serializers.ModelSerializer):
    column = serializers.IntegerField(source="column_id", read_only=True)
    column_name = serializers.CharField(source="column.name", read_only=True)
    asset = serializers.IntegerField(source="column.asset_id", read_only=True)
    asset_name = serializers.CharField(source="column.asset.name", read_only=True)
    source_column = serializers.IntegerField(
        source="source_column_id", read_only=True, allow_null=True
    )
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None)

    class Meta:
        model = ColumnClassification
        fields = [
            "id",
            "column",
            "column_name",
            "asset",
            "asset_name",
            "category",
            "sensitivity",
            "origin",
            "status",
            "source_column",
            "note",
            "decided_by",
            "decided_at",
            "created_at",
        ]


class EffectiveSerializer(serializers.Serializer):
    is_pii = serializers.BooleanField(allow_null=True, help_text="null: nobody knows yet")
    category = serializers.CharField()
    origin = serializers.CharField()
    status = serializers.CharField()
    sensitivity = serializers.CharField()
    source_column = serializers.IntegerField(source="source_column_id", allow_null=True)
    reviewed = serializers.BooleanField()


class ColumnClassificationsSerializer(serializers.Serializer):
    column = serializers.IntegerField()
    effective = EffectiveSerializer()
    classifications = ClassificationSerializer(many=True)


class ClassifyInputSerializer(serializers.Serializer):
    category = serializers.ChoiceField(
        choices=PiiCategory.choices, help_text='"none": the column holds no PII'
    )
    sensitivity = serializers.ChoiceField(
        choices=ColumnClassification.Sensitivity.choices,
        default=ColumnClassification.Sensitivity.MEDIUM,
    )
    status = serializers.ChoiceField(
        choices=ColumnClassification.Status.choices, default=ColumnClassification.Status.CONFIRMED
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
