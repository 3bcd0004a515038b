"""What people decide about the catalog, stored apart from what ingest writes.

Ingest never writes these tables, so a re-ingest cannot overwrite a person's owner,
tier or PII decision. Pages show the effective value: a person's decision when there is
one, else what dbt says, with where it came from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from catalog.models import Asset, Column
from lexicon_core.tiers import Tier


class Team(models.Model):
    """A group of people that can own assets and metrics."""

    name = models.CharField(max_length=200, unique=True)
    email = models.EmailField(blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="lexicon_teams"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OwnerType(models.TextChoices):
    TECHNICAL = "technical", "Technical owner"
    BUSINESS = "business", "Business owner"
    STEWARD = "steward", "Data steward"


class AssetOwner(models.Model):
    """An owner of an asset chosen by a person (a user or a team)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="owner_assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="asset_ownerships"
    )
    owner_type = models.CharField(
        max_length=20, choices=OwnerType.choices, default=OwnerType.TECHNICAL
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asset_id", "owner_type", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(team__isnull=True))
                | (Q(user__isnull=True) & Q(team__isnull=False)),
                name="asset_owner_user_xor_team",
            ),
            models.UniqueConstraint(
                fields=["asset", "user", "owner_type"],
                name="asset_owner_user_unique",
                condition=Q(user__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["asset", "team", "owner_type"],
                name="asset_owner_team_unique",
                condition=Q(team__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.team} owns {self.asset_id} ({self.owner_type})"


class AssetTier(models.Model):
    """A tier set by a reviewer; wins over the tier read from dbt meta."""

    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="tier_decision")
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["asset_id"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="asset_tier_1_to_3")
        ]

    def __str__(self) -> str:
        return f"{self.asset_id}: tier {self.tier}"


class PiiCategory(models.TextChoices):
    EMAIL = "email"
    PHONE = "phone"
    NAME = "name"
    ADDRESS = "address"
    IP = "ip", "IP address"
    GOVERNMENT_ID = "government_id", "Government id"
    PAYMENT = "payment"
    HEALTH = "health"
    DATE_OF_BIRTH = "date_of_birth", "Date of birth"
    FREE_TEXT = "free_text", "Free text"
    OTHER = "other"
    NONE = "none", "Not PII"


class ColumnClassification(models.Model):
    """A PII classification of a column, with its origin and review status.

    Several may exist per column, one per (origin, category): what dbt meta says, what a
    name/type heuristic suggests, what lineage propagated from a confirmed upstream column
    (``source_column``) and what a person decided. A reviewer confirms or rejects a
    suggestion in place (``decided_by`` set). Which one counts is decided once, in
    ``governance.pii.effective.effective_classification``.
    """

    class Origin(models.TextChoices):
        DBT = "dbt", "dbt meta"
        HEURISTIC = "heuristic", "Name/type heuristic"
        LINEAGE = "lineage", "Lineage propagation"
        PERSON = "person"

    class Status(models.TextChoices):
        SUGGESTED = "suggested"
        CONFIRMED = "confirmed"
        REJECTED = "rejected"

    class Sensitivity(models.TextChoices):
        LOW = "low"
        MEDIUM = "medium"
        HIGH = "high"
        RESTRICTED = "restricted"

    column = models.ForeignKey(Column, on_delete=models.CASCADE, related_name="classifications")
    category = models.CharField(max_length=30, choices=PiiCategory.choices)
    sensitivity = models.CharField(
        max_length=10, choices=Sensitivity.choices, default=Sensitivity.MEDIUM
    )
    origin = models.CharField(max_length=20, choices=Origin.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUGGESTED)
    source_column = models.ForeignKey(
        Column, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["column_id", "-decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["column", "origin", "category"], name="classification_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "origin"]),
            models.Index(fields=["source_column", "category"]),
        ]

    def __str__(self) -> str:
        return f"{self.column_id}: {self.category} ({self.origin}, {self.status})"


class AuditEvent(models.Model):
    """One human change: who, when, what, before and after. Append-only."""

    # No database constraint and no cascade: deleting a user must not rewrite audit rows.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(
        max_length=150, blank=True, help_text="Kept if the user is deleted."
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"


class TierPolicy(models.Model):
    """What a tier promises, editable by governance reviewers; one row per tier.

    A tier without a row uses ``governance.policies.default_policy`` (the freshness SLA
    from ``LEXICON_TIER_FRESHNESS_SLA_HOURS``), so the checks work before anyone edits.
    """

    tier = models.PositiveSmallIntegerField(unique=True, choices=Tier.choices)
    freshness_sla_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Max age of the data in hours; empty: no freshness promise.",
    )
    required_tests = models.JSONField(
        default=list,
        blank=True,
        help_text='dbt tests required on the primary key, e.g. ["unique", "not_null"].',
    )
    description_required = models.BooleanField(default=False)
    column_docs_target_pct = models.PositiveSmallIntegerField(
        default=0, help_text="Share of columns that must have a description (0 to 100)."
    )
    owner_required = models.BooleanField(default=False)
    pii_review_required = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tier"]
        verbose_name_plural = "tier policies"
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="tier_policy_1_to_3"),
            models.CheckConstraint(
                condition=Q(column_docs_target_pct__lte=100), name="tier_policy_pct_max_100"
            ),
        ]

    def __str__(self) -> str:
        return f"Tier {self.tier} policy"


class AssetDescription(models.Model):
    """A description written by a person; shown instead of dbt's, never touched by ingest."""

    asset = models.OneToOneField(
        Asset, on_delete=models.CASCADE, related_name="description_decision"
    )
    text = models.TextField(help_text="Markdown.")
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    written_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["asset_id"]

    def __str__(self) -> str:
        return f"description of {self.asset_id}"


class ScorecardSnapshot(models.Model):
    """The scorecard's numbers on one day (one row per day; the beat task overwrites it)."""

    day = models.DateField(unique=True)
    values = models.JSONField(
        default=dict, help_text="{kpi key: {value, numerator, denominator, failing}}"
    )
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"scorecard of {self.day:%Y-%m-%d}"


class ApiToken(models.Model):
    """A key a script or a pipeline sends as ``Authorization: Token <key>`` (or ``Bearer``).

    Only a SHA-256 digest of the key is stored; the key itself is shown once, when it is
    made (governance.tokens). ``prefix`` is the key's first characters, kept in the clear to
    find the row and to let people tell their tokens apart.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="The owner: a request with the token acts as this user.",
    )
    name = models.CharField(max_length=100, help_text="What it is for, e.g. 'dbt CI'.")
    prefix = models.CharField(
        max_length=16, unique=True, help_text="The key's public first characters."
    )
    key_hash = models.CharField(max_length=64, help_text="SHA-256 of the whole key, hex.")
    # Reserved for issue 21 (scoped tokens, service accounts): empty = the owner's full rights.
    # Nothing reads it yet.
    scopes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    last_used_at = models.DateTimeField(
        null=True, blank=True, help_text="Updated at most once a minute."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user_id", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(revoked_at__isnull=True),
                name="governance_apitoken_live_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class LoginFailure(models.Model):
    """One failed sign-in, kept for the throttle's window (governance.throttle).

    In the database rather than the cache so that every web process, in either mode
    (the embedded default's cache is per process), counts the same failures.
    """

    username = models.CharField(max_length=150, help_text="As typed, lower-cased.")
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["username", "at"]),
            models.Index(fields=["ip", "at"]),
            models.Index(fields=["at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} from {self.ip}"
