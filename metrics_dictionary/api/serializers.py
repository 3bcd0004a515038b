"""API shapes of the metric dictionary. Input serializers only parse; services decide."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from governance.models import OwnerType
from lexicon_core.tiers import TIERS, Tier
from metrics_dictionary.models import (
    OUTGOING_STATUSES,
    SUBSCRIBABLE_EVENTS,
    DeprecationNotice,
    Metric,
    MetricType,
    MetricVersion,
    Review,
    Webhook,
    WebhookDelivery,
)
from metrics_dictionary.selectors import active_deprecation, metric_banners


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Why the action was refused, in a sentence.")
    kind = serializers.ChoiceField(choices=["forbidden", "conflict", "invalid"])
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class DefinitionInputSerializer(serializers.Serializer):
    """A version's definition. On a new version, fields left out are copied from the current one."""

    label = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(
        required=False, allow_blank=True, help_text="Business meaning, markdown"
    )
    formula = serializers.CharField(required=False, allow_blank=True, help_text="SQL expression(s)")
    metric_type = serializers.ChoiceField(choices=MetricType.choices, required=False)
    type_params = serializers.JSONField(
        required=False, help_text="MetricFlow type parameters, per type"
    )
    time_grains = serializers.ListField(child=serializers.CharField(), required=False)
    entity_grain = serializers.CharField(required=False, allow_blank=True)
    dimensions = serializers.ListField(child=serializers.CharField(), required=False)
    filters = serializers.ListField(child=serializers.CharField(), required=False)
    unit = serializers.CharField(required=False, allow_blank=True)
    format = serializers.CharField(required=False, allow_blank=True)
    caveats = serializers.CharField(required=False, allow_blank=True)
    example_query = serializers.CharField(required=False, allow_blank=True)
    change_summary = serializers.CharField(required=False, allow_blank=True)
    related_assets = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Catalog assets the metric is computed from: ids or dbt unique_ids",
    )
    related_columns = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=(
            "Column ids or '<asset unique_id>.<column>'; default: the formula's columns in the "
            "related assets"
        ),
    )


class MetricCreateSerializer(DefinitionInputSerializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(required=False, max_length=120)
    tier = serializers.IntegerField(
        required=False, min_value=min(TIERS), max_value=max(TIERS), default=Tier.TIER_3
    )
    domain = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.CharField(required=False, allow_blank=True, default="")
    owners = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Usernames; default: you"
    )
    owner_teams = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Team names"
    )
    owner_type = serializers.ChoiceField(
        choices=OwnerType.choices, required=False, default=OwnerType.BUSINESS
    )


class ActionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class DeprecateInputSerializer(serializers.Serializer):
    reason = serializers.CharField()
    sunset_date = serializers.DateField(required=False, allow_null=True, default=None)
    replacement = serializers.SlugField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="Slug of the metric to use instead",
    )


class AssetDeprecateInputSerializer(serializers.Serializer):
    reason = serializers.CharField()
    sunset_date = serializers.DateField(required=False, allow_null=True, default=None)
    replacement_asset = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="Id or dbt unique_id of the asset to use instead",
    )
    replacement = serializers.SlugField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="Slug of a metric to use instead",
    )


class AssetDeprecationSerializer(serializers.ModelSerializer):
    asset = serializers.CharField(source="asset.unique_id")
    replacement = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    replacement_asset = serializers.CharField(source="replacement_asset.unique_id", default=None)
    created_by = serializers.CharField(source="created_by.username", default=None)

    class Meta:
        model = DeprecationNotice
        fields = [
            "asset",
            "reason",
            "sunset_date",
            "replacement",
            "replacement_asset",
            "created_by",
            "created_at",
            "withdrawn_at",
        ]


class OwnerSerializer(serializers.Serializer):
    user = serializers.CharField(source="user.username", default=None)
    team = serializers.CharField(source="team.name", default=None)
    owner_type = serializers.CharField()


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username", default=None)

    class Meta:
        model = Review
        fields = ["round", "reviewer", "decision", "comment", "as_governance", "created_at"]


class DeprecationSerializer(serializers.ModelSerializer):
    replacement = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None)

    class Meta:
        model = DeprecationNotice
        fields = [
            "reason",
            "sunset_date",
            "replacement",
            "created_by",
            "created_at",
            "retired_at",
            "withdrawn_at",
        ]


class BannerSerializer(serializers.Serializer):
    level = serializers.CharField()
    title = serializers.CharField()
    message = serializers.CharField()
    items = serializers.ListField(child=serializers.CharField())


class VersionSerializer(serializers.ModelSerializer):
    proposed_by = serializers.CharField(source="proposed_by.username", default=None)
    related_assets = serializers.SerializerMethodField()
    related_columns = serializers.SerializerMethodField()
    reviews = ReviewSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = MetricVersion
        fields = [
            "number",
            "state",
            "label",
            "description",
            "formula",
            "metric_type",
            "type_params",
            "time_grains",
            "entity_grain",
            "dimensions",
            "filters",
            "unit",
            "format",
            "caveats",
            "example_query",
            "change_summary",
            "related_assets",
            "related_columns",
            "source",
            "proposed_by",
            "created_at",
            "submitted_at",
            "review_round",
            "decided_at",
            "published_at",
            "superseded_at",
            "reviews",
            "url",
        ]

    def get_related_assets(self, version: MetricVersion) -> list[str]:
        return [a.unique_id for a in version.related_assets.all()]

    def get_related_columns(self, version: MetricVersion) -> list[str]:
        return [f"{c.asset.unique_id}.{c.name}" for c in version.related_columns.all()]

    def get_url(self, version: MetricVersion) -> str:
        return reverse("api-metric-version", args=[version.metric.slug, version.number])


class VersionSummarySerializer(serializers.ModelSerializer):
    proposed_by = serializers.CharField(source="proposed_by.username", default=None)

    class Meta:
        model = MetricVersion
        fields = [
            "number",
            "state",
            "label",
            "metric_type",
            "change_summary",
            "source",
            "proposed_by",
            "created_at",
            "submitted_at",
            "published_at",
        ]


class MetricListSerializer(serializers.ModelSerializer):
    owners = OwnerSerializer(many=True, read_only=True)
    current_version = serializers.IntegerField(source="current_version.number", default=None)
    label = serializers.CharField(source="current_version.label", default=None)
    deprecated = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Metric
        fields = [
            "slug",
            "name",
            "label",
            "tier",
            "status",
            "domain",
            "category",
            "owners",
            "current_version",
            "defined_in_dbt",
            "needs_attention",
            "deprecated",
            "url",
        ]

    def get_deprecated(self, metric: Metric) -> bool:
        return metric.status in OUTGOING_STATUSES

    def get_url(self, metric: Metric) -> str:
        return reverse("api-metric-detail", args=[metric.slug])


class MetricDetailSerializer(MetricListSerializer):
    definition = serializers.SerializerMethodField()
    deprecation = serializers.SerializerMethodField()
    banners = serializers.SerializerMethodField()
    attention_reasons = serializers.JSONField(read_only=True)
    dbt_unique_id = serializers.CharField(read_only=True)
    page_url = serializers.SerializerMethodField()

    class Meta(MetricListSerializer.Meta):
        fields = MetricListSerializer.Meta.fields + [
            "definition",
            "deprecation",
            "banners",
            "attention_reasons",
            "dbt_unique_id",
            "retired_at",
            "created_at",
            "page_url",
        ]

    @extend_schema_field(VersionSerializer(allow_null=True))
    def get_definition(self, metric: Metric) -> dict[str, Any] | None:
        return VersionSerializer(metric.current_version).data if metric.current_version_id else None

    @extend_schema_field(DeprecationSerializer(allow_null=True))
    def get_deprecation(self, metric: Metric) -> dict[str, Any] | None:
        notice = active_deprecation(metric)
        return DeprecationSerializer(notice).data if notice else None

    @extend_schema_field(BannerSerializer(many=True))
    def get_banners(self, metric: Metric) -> list[dict[str, Any]]:
        return BannerSerializer(metric_banners(metric), many=True).data

    @extend_schema_field(OpenApiTypes.STR)
    def get_page_url(self, metric: Metric) -> str:
        return reverse("metrics_dictionary:metric", args=[metric.slug])


class FieldDiffSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.JSONField()
    new = serializers.JSONField()
    changed = serializers.BooleanField()


class DiffSerializer(serializers.Serializer):
    metric = serializers.CharField()
    version = serializers.IntegerField()
    against = serializers.IntegerField(allow_null=True)
    fields = FieldDiffSerializer(many=True)


class ColumnCheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    table = serializers.CharField()
    asset = serializers.CharField(source="asset.unique_id", default=None)
    exists = serializers.BooleanField()
    data_type = serializers.CharField()
    compatible = serializers.BooleanField(allow_null=True)
    note = serializers.CharField()


class ImpactSerializer(serializers.Serializer):
    against = serializers.IntegerField(source="against.number", default=None)
    diff = FieldDiffSerializer(many=True)
    columns = ColumnCheckSerializer(many=True)
    problems = serializers.ListField(child=serializers.CharField())
    downstream = serializers.ListField(child=serializers.DictField())
    usage = serializers.ListField(child=serializers.DictField())
    usage_reason = serializers.CharField()
    approvals = serializers.IntegerField(source="progress.approvals")
    rule = serializers.CharField(source="progress.rule_text")


# ---------------------------------------------------------------------------- webhooks

_EVENTS_HELP = f"Events to send: {', '.join(SUBSCRIBABLE_EVENTS)}; empty: every event."


class WebhookInputSerializer(serializers.Serializer):
    """Parses only: ``webhook_create`` / ``webhook_update`` validate the URL and the events."""

    name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Default: the URL"
    )
    url = serializers.CharField(max_length=2000, help_text="An http(s) URL receiving signed POSTs")
    events = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, help_text=_EVENTS_HELP
    )


class WebhookCreateSerializer(WebhookInputSerializer):
    secret_env = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        default="",
        help_text="Environment variable holding the secret; default: Lexicon "
        "makes one and returns it once",
    )


class WebhookUpdateSerializer(WebhookInputSerializer):
    active = serializers.BooleanField(required=False)


class WebhookSerializer(serializers.ModelSerializer):
    """A webhook; never its secret. ``last_delivery_*`` and ``failed_deliveries_7d`` come from
    ``selectors.webhooks_list``."""

    created_by = serializers.CharField(source="created_by.username", default=None)
    events = serializers.ListField(child=serializers.CharField(), help_text=_EVENTS_HELP)
    last_delivery_status = serializers.SerializerMethodField()
    last_delivery_at = serializers.SerializerMethodField()
    failed_deliveries_7d = serializers.SerializerMethodField()

    class Meta:
        model = Webhook
        fields = [
            "id",
            "name",
            "url",
            "events",
            "active",
            "secret_env",
            "created_by",
            "created_at",
            "last_delivery_status",
            "last_delivery_at",
            "failed_deliveries_7d",
        ]

    @extend_schema_field(
        serializers.ChoiceField(choices=WebhookDelivery.Status.choices, allow_null=True)
    )
    def get_last_delivery_status(self, hook: Webhook) -> str | None:
        return getattr(hook, "last_status", None)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_last_delivery_at(self, hook: Webhook) -> Any:
        at = getattr(hook, "last_delivered_at", None) or getattr(hook, "last_created_at", None)
        return serializers.DateTimeField().to_representation(at) if at else None

    @extend_schema_field(OpenApiTypes.INT)
    def get_failed_deliveries_7d(self, hook: Webhook) -> int:
        return getattr(hook, "failed_7d", 0)


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(
        allow_null=True,
        help_text="The signing secret, returned this once; null when it is read from `secret_env`",
    )

    class Meta(WebhookSerializer.Meta):
        fields = WebhookSerializer.Meta.fields + ["secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
            "payload",
        ]
