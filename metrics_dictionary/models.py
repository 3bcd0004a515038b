"""The governed metric dictionary: metrics, their immutable versions, reviews, deprecations.

A ``Metric`` is the stable identity of a KPI (slug, owners, tier, status). Its content
lives in numbered ``MetricVersion`` rows; the approved one is ``Metric.current_version``.
An approved (or superseded) version is immutable: ``MetricVersion.save`` and the
queryset's ``update`` refuse to change its content, and so do the M2M relations.
Every write goes through ``metrics_dictionary.services``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models import Asset, Column
from governance.models import OwnerType, Team
from lexicon_core.tiers import TIERS, Tier

__all__ = [
    "ChangeLogEntry",
    "Comment",
    "DeprecationNotice",
    "ImmutableVersionError",
    "Metric",
    "MetricOwner",
    "MetricStatus",
    "MetricType",
    "MetricVersion",
    "OwnerType",
    "Review",
    "SUBSCRIBABLE_EVENTS",
    "VersionState",
    "Webhook",
    "WebhookDelivery",
    "WebhookEvent",
]


class ImmutableVersionError(Exception):
    """Raised when code tries to change the content of an approved or superseded version."""


class MetricStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    DEPRECATED = "deprecated", "Deprecated"
    RETIRED = "retired", "Retired"


# Metrics on their way out: no new work should build on them.
OUTGOING_STATUSES = (MetricStatus.DEPRECATED, MetricStatus.RETIRED)


class MetricType(models.TextChoices):
    """MetricFlow's five metric types."""

    SIMPLE = "simple", "Simple"
    RATIO = "ratio", "Ratio"
    CUMULATIVE = "cumulative", "Cumulative"
    DERIVED = "derived", "Derived"
    CONVERSION = "conversion", "Conversion"


class VersionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    REJECTED = "rejected", "Rejected"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"


# States whose content may still be edited by the proposer.
EDITABLE_STATES = (VersionState.DRAFT, VersionState.CHANGES_REQUESTED)
# States that were published once; their content is frozen.
FROZEN_STATES = (VersionState.APPROVED, VersionState.SUPERSEDED)


class Metric(models.Model):
    """One KPI: a stable slug, owners, tier, status and a pointer to its approved version."""

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.TIER_3)
    status = models.CharField(
        max_length=20, choices=MetricStatus.choices, default=MetricStatus.DRAFT, db_index=True
    )
    domain = models.CharField(
        max_length=100, blank=True, db_index=True, help_text="Business domain, e.g. Finance."
    )
    category = models.CharField(max_length=100, blank=True)
    current_version = models.ForeignKey(
        "MetricVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The approved version readers see; null until the first approval.",
    )
    # The catalog asset (kind metric) that makes the metric searchable: dbt's metric node
    # when ``defined_in_dbt``, otherwise one the dictionary created in its own project.
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="dictionary_metrics"
    )
    defined_in_dbt = models.BooleanField(default=False)
    dbt_unique_id = models.CharField(max_length=512, blank=True, db_index=True)
    needs_attention = models.BooleanField(default=False, db_index=True)
    attention_reasons = models.JSONField(
        default=list,
        blank=True,
        help_text="[{kind, message, asset, column, ...}] found by the drift check after an ingest.",
    )
    attention_since = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=list(TIERS)), name="metric_tier_1_to_3")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.current_version_id is not None


class MetricOwner(models.Model):
    """An owner of a metric: a user or a team, with a type (technical, business, steward)."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="owners")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="owned_metrics",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="owned_metrics"
    )
    owner_type = models.CharField(
        max_length=20, choices=OwnerType.choices, default=OwnerType.BUSINESS
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["metric_id", "owner_type", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(team__isnull=True))
                | (Q(user__isnull=True) & Q(team__isnull=False)),
                name="metric_owner_user_xor_team",
            ),
            models.UniqueConstraint(
                fields=["metric", "user", "owner_type"],
                name="metric_owner_user_unique",
                condition=Q(user__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["metric", "team", "owner_type"],
                name="metric_owner_team_unique",
                condition=Q(team__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.team} owns {self.metric_id} ({self.owner_type})"

    @property
    def display(self) -> str:
        if self.user_id:
            return self.user.get_full_name() or self.user.username
        return self.team.name


# The fields that make up a version's definition: compared by diffs, frozen on approval.
CONTENT_FIELDS: tuple[str, ...] = (
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
)


class MetricVersionQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        """Refuse bulk updates of content fields on frozen versions (they bypass ``save``)."""
        touched = set(kwargs) & (
            set(CONTENT_FIELDS) | {"metric", "metric_id", "number", "proposed_by"}
        )
        if touched and self.filter(state__in=FROZEN_STATES).exists():
            raise ImmutableVersionError(
                f"approved versions are immutable; cannot update {', '.join(sorted(touched))}"
            )
        return super().update(**kwargs)


class MetricVersion(models.Model):
    """One numbered definition of a metric. Immutable once approved (see module docstring)."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    state = models.CharField(
        max_length=20, choices=VersionState.choices, default=VersionState.DRAFT, db_index=True
    )
    # --- definition
    label = models.CharField(max_length=200)
    description = models.TextField(
        blank=True, help_text="Business meaning, markdown (rendered sanitised)."
    )
    formula = models.TextField(
        blank=True, help_text="SQL expression(s) over the related models' columns."
    )
    metric_type = models.CharField(
        max_length=20, choices=MetricType.choices, default=MetricType.SIMPLE
    )
    type_params = models.JSONField(
        default=dict, blank=True, help_text="MetricFlow type parameters, validated per type."
    )
    time_grains = models.JSONField(default=list, blank=True, help_text='e.g. ["day", "month"]')
    entity_grain = models.CharField(max_length=200, blank=True, help_text="e.g. account")
    dimensions = models.JSONField(default=list, blank=True)
    filters = models.JSONField(
        default=list, blank=True, help_text="SQL / MetricFlow filter expressions."
    )
    unit = models.CharField(max_length=50, blank=True, help_text="e.g. USD, %, accounts")
    format = models.CharField(max_length=50, blank=True, help_text="e.g. 0,0.00")
    caveats = models.TextField(blank=True, help_text="Known limitations, markdown.")
    example_query = models.TextField(blank=True)
    change_summary = models.TextField(blank=True)
    related_assets = models.ManyToManyField(
        Asset,
        blank=True,
        related_name="metric_versions",
        help_text="The models (marts) the metric is computed from.",
    )
    related_columns = models.ManyToManyField(Column, blank=True, related_name="metric_versions")
    # --- provenance and workflow
    source = models.CharField(
        max_length=10, choices=[("lexicon", "Lexicon"), ("dbt", "dbt")], default="lexicon"
    )
    dbt_digest = models.CharField(
        max_length=32, blank=True, help_text="Digest of the dbt definition it came from."
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_metric_versions",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_round = models.PositiveIntegerField(
        default=0, help_text="Incremented on every submission."
    )
    base_version = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=(
            "The approved version when this one was submitted; approval is refused if that changed."
        ),
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    column_snapshot = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            "Types of the related columns when approved, for the drift check: {column_id: {...}}."
        ),
    )

    objects = MetricVersionQuerySet.as_manager()

    class Meta:
        ordering = ["metric_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "number"], name="metric_version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["metric"], condition=Q(state="approved"), name="metric_one_approved_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric.slug} v{self.number}" if self.metric_id else f"v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The one invariant enforced here rather than in services: nothing, not even a
        # service with a bug, may rewrite the content of a published definition.
        if self.pk:
            stored = (
                MetricVersion.objects.filter(pk=self.pk).values("state", *CONTENT_FIELDS).first()
            )
            if stored and stored["state"] in FROZEN_STATES:
                changed = [f for f in CONTENT_FIELDS if stored[f] != getattr(self, f)]
                if changed:
                    raise ImmutableVersionError(
                        f"{self} is {stored['state']} and immutable; "
                        f"cannot change {', '.join(changed)}"
                    )
        super().save(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.state in FROZEN_STATES

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES


class Review(models.Model):
    """A reviewer's decision on one submission (review round) of a version."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approved"
        REQUEST_CHANGES = "request_changes", "Changes requested"
        REJECT = "reject", "Rejected"

    version = models.ForeignKey(MetricVersion, on_delete=models.CASCADE, related_name="reviews")
    round = models.PositiveIntegerField(default=1)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)
    as_governance = models.BooleanField(
        default=False, help_text="The reviewer held the governance reviewer role."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "round", "reviewer"], name="review_once_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.decision} {self.version_id}"


class Comment(models.Model):
    """Discussion on a metric, optionally about one version. Markdown, rendered sanitised."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="comments")
    version = models.ForeignKey(
        MetricVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["metric_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author} on {self.metric_id}"


class DeprecationNotice(models.Model):
    """A deprecation of a metric or of a catalog asset: reason, sunset date, replacement.

    At most one active (not withdrawn) notice per metric and per asset.
    """

    metric = models.ForeignKey(
        Metric, null=True, blank=True, on_delete=models.CASCADE, related_name="deprecations"
    )
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.CASCADE, related_name="deprecations"
    )
    reason = models.TextField()
    sunset_date = models.DateField(null=True, blank=True)
    replacement = models.ForeignKey(
        Metric, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replacement_asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sunset task retired it."
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(metric__isnull=False) & Q(asset__isnull=True))
                | (Q(metric__isnull=True) & Q(asset__isnull=False)),
                name="deprecation_metric_xor_asset",
            ),
            models.UniqueConstraint(
                fields=["metric"],
                condition=Q(withdrawn_at__isnull=True, metric__isnull=False),
                name="deprecation_one_active_per_metric",
            ),
            models.UniqueConstraint(
                fields=["asset"],
                condition=Q(withdrawn_at__isnull=True, asset__isnull=False),
                name="deprecation_one_active_per_asset",
            ),
        ]

    def __str__(self) -> str:
        return f"Deprecation of {self.metric or self.asset}"

    @property
    def subject(self) -> Metric | Asset:
        return self.metric or self.asset  # type: ignore[return-value]


class ChangeLogEntry(models.Model):
    """One line of the release notes: an approved change, a deprecation, a retirement..."""

    class Kind(models.TextChoices):
        APPROVED = "approved", "Approved"
        DEPRECATED = "deprecated", "Deprecated"
        RETIRED = "retired", "Retired"
        NEEDS_ATTENTION = "needs_attention", "Needs attention"

    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    metric = models.ForeignKey(
        Metric, null=True, blank=True, on_delete=models.CASCADE, related_name="changelog"
    )
    version = models.ForeignKey(
        MetricVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    deprecation = models.ForeignKey(
        DeprecationNotice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    # Snapshots so the log filters without joins and keeps its meaning if the metric changes.
    domain = models.CharField(max_length=100, blank=True, db_index=True)
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.title


class WebhookEvent(models.TextChoices):
    APPROVED = "metric.approved", "Metric version approved"
    DEPRECATED = "metric.deprecated", "Metric or asset deprecated"
    NEEDS_ATTENTION = "metric.needs_attention", "Metric needs attention"
    # Sent to one webhook on an admin's request (``webhook_ping``), never broadcast.
    PING = "ping", "Test event (ping)"


# The events a webhook may subscribe to (``Webhook.events``); ``ping`` is not one of them.
SUBSCRIBABLE_EVENTS = [e.value for e in WebhookEvent if e != WebhookEvent.PING]


class Webhook(models.Model):
    """An outgoing webhook. Payloads are signed with HMAC-SHA256 (``X-Lexicon-Signature``).

    The signing secret is never stored: it is derived from ``SECRET_KEY`` and this row's
    random ``secret_salt`` (shown once when the webhook is created or rotated), or read
    from the environment variable named in ``secret_env``. Rotating SECRET_KEY therefore
    rotates every derived webhook secret.
    """

    name = models.CharField(max_length=200)
    url = models.URLField(max_length=1000)
    events = models.JSONField(
        default=list, help_text="SUBSCRIBABLE_EVENTS values; empty means all."
    )
    active = models.BooleanField(default=True)
    secret_salt = models.CharField(max_length=64, blank=True)
    secret_env = models.CharField(
        max_length=100,
        blank=True,
        help_text="Name of an environment variable holding the secret instead.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return self.active and (not self.events or event in self.events)


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one webhook, with its attempts."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField()
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.status})"
