"""The catalog: what dbt and the warehouse tell us, as ingested.

Rows here are written only by ingest services (``catalog.dbt.write``). What people decide
(owners, tiers, PII decisions) lives in ``governance`` and is never touched by ingest.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Project(models.Model):
    """One dbt project (or one warehouse connection's namespace for query-log relations)."""

    name = models.CharField(max_length=200, unique=True)
    dbt_project_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="metadata.project_id of its manifests (a hash of the name).",
    )
    adapter_type = models.CharField(max_length=50, blank=True)
    dialect = models.CharField(max_length=30, blank=True, help_text="sqlglot dialect for its SQL.")
    dbt_version = models.CharField(max_length=40, blank=True)
    manifest_schema_version = models.CharField(max_length=40, blank=True)
    last_invocation_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IngestRun(models.Model):
    """One ingest of dbt artifacts or a query log, with its progress and outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    class Kind(models.TextChoices):
        DBT = "dbt", "dbt artifacts"
        QUERY_LOG = "query_log", "Query log"

    class Trigger(models.TextChoices):
        CLI = "cli"
        API = "api"
        UI = "ui"
        SCHEDULE = "schedule"

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DBT)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="ingest_runs"
    )
    project_name = models.CharField(
        max_length=200, blank=True, help_text="Requested project name, if any."
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.CLI)
    phase = models.CharField(max_length=60, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    files = models.JSONField(
        default=list, blank=True, help_text="[{kind, name, path, size, sha256}]"
    )
    counts = models.JSONField(
        default=dict, blank=True, help_text="{kind: {added, changed, unchanged, removed}}"
    )
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    invocation_id = models.CharField(max_length=64, blank=True)
    schema_versions = models.JSONField(default=dict, blank=True)
    followups = models.JSONField(
        default=dict,
        blank=True,
        help_text="Results of work done after the run, e.g. column lineage.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Crash recovery (catalog.services.ingest_runs_sweep): the worker running a run writes
    # heartbeat_at every few seconds; a running run whose heartbeat stops is queued again.
    queued_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the run was last handed to the broker (created_at if never re-sent).",
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the worker running it."
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times a worker has started the run."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="ingestrun_progress_lte_100"
            )
        ]

    def __str__(self) -> str:
        return f"Ingest run #{self.pk} ({self.kind}, {self.status})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    def totals(self) -> dict[str, int]:
        out = {"added": 0, "changed": 0, "unchanged": 0, "removed": 0}
        for per_kind in (self.counts or {}).values():
            for key in out:
                out[key] += int(per_kind.get(key, 0))
        return out


class AssetKind(models.TextChoices):
    MODEL = "model"
    SOURCE = "source"
    SEED = "seed"
    SNAPSHOT = "snapshot"
    ANALYSIS = "analysis"
    EXPOSURE = "exposure"
    SEMANTIC_MODEL = "semantic_model", "Semantic model"
    METRIC = "metric"
    SAVED_QUERY = "saved_query", "Saved query"
    WAREHOUSE_RELATION = "warehouse_relation", "Warehouse relation"


class Asset(models.Model):
    """Any dbt node we catalog, or a warehouse relation seen only in query logs."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assets")
    unique_id = models.CharField(max_length=512)
    kind = models.CharField(max_length=30, choices=AssetKind.choices, db_index=True)
    name = models.CharField(max_length=255, db_index=True)
    label = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    database = models.CharField(max_length=255, blank=True)
    schema = models.CharField(max_length=255, blank=True)
    identifier = models.CharField(max_length=255, blank=True)
    relation_name = models.CharField(max_length=768, blank=True)
    relation_key = models.CharField(
        max_length=768,
        blank=True,
        db_index=True,
        help_text="Lower-cased db.schema.identifier for matching.",
    )
    package_name = models.CharField(max_length=255, blank=True)
    path = models.CharField(max_length=1024, blank=True)
    original_file_path = models.CharField(max_length=1024, blank=True)
    materialization = models.CharField(max_length=50, blank=True)
    language = models.CharField(max_length=20, blank=True)
    raw_code = models.TextField(blank=True)
    compiled_code = models.TextField(blank=True)
    checksum = models.CharField(max_length=128, blank=True)
    access = models.CharField(max_length=20, blank=True)
    group = models.CharField(max_length=255, blank=True)
    version = models.CharField(max_length=40, blank=True)
    latest_version = models.CharField(max_length=40, blank=True)
    contract_enforced = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    depends_on = models.JSONField(
        default=list, blank=True, help_text="unique_ids this node depends on."
    )
    details = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            "Kind-specific facts: exposure owner/url, metric type_params, "
            "source freshness config..."
        ),
    )
    # Ingested curation hints from dbt meta; a person's decision is stored in governance.
    dbt_owners = models.JSONField(default=list, blank=True)
    dbt_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    # From catalog.json
    warehouse_type = models.CharField(max_length=50, blank=True)
    warehouse_stats = models.JSONField(default=dict, blank=True)
    manifest_hash = models.CharField(
        max_length=32, blank=True, help_text="Digest of the fields read from the manifest."
    )
    warehouse_hash = models.CharField(
        max_length=32, blank=True, help_text="Digest of the catalog.json entry."
    )
    raw_digest = models.CharField(
        max_length=32, blank=True, help_text="Digest of the entry's raw manifest JSON."
    )
    first_seen_run = models.ForeignKey(
        IngestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_changed_run = models.ForeignKey(
        IngestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_by_run = models.ForeignKey(
        IngestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project_id", "kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "unique_id"], name="asset_unique_per_project"
            )
        ]
        indexes = [models.Index(fields=["project", "kind", "removed_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    @property
    def display_relation(self) -> str:
        return ".".join(p for p in (self.database, self.schema, self.identifier) if p)


class Column(models.Model):
    """A column of an asset, from the manifest (documented) and catalog.json (actual type)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="columns")
    name = models.CharField(max_length=512)
    name_key = models.CharField(
        max_length=512, db_index=True, help_text="Lower-cased name for matching."
    )
    position = models.PositiveIntegerField(default=0)
    data_type = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    documented = models.BooleanField(default=False, help_text="Declared in the dbt YAML.")
    in_warehouse = models.BooleanField(default=False, help_text="Present in catalog.json.")
    dbt_pii = models.CharField(
        max_length=100, blank=True, help_text="PII flag read from dbt meta/tags, as written."
    )
    removed_by_run = models.ForeignKey(
        IngestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asset_id", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "name_key"], name="column_unique_per_asset")
        ]

    def __str__(self) -> str:
        return f"{self.asset.name}.{self.name}"


class DataTest(models.Model):
    """A dbt data test (generic or singular) or unit test, attached to an asset and column."""

    class TestType(models.TextChoices):
        GENERIC = "generic"
        SINGULAR = "singular"
        UNIT = "unit"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tests")
    unique_id = models.CharField(max_length=512)
    name = models.CharField(max_length=512)
    test_type = models.CharField(max_length=20, choices=TestType.choices)
    test_name = models.CharField(
        max_length=255, blank=True, help_text="unique, not_null, accepted_values..."
    )
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="tests"
    )
    column_name = models.CharField(max_length=512, blank=True)
    severity = models.CharField(max_length=10, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    depends_on = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    content_hash = models.CharField(max_length=32, blank=True)
    raw_digest = models.CharField(max_length=32, blank=True)
    removed_by_run = models.ForeignKey(
        IngestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "unique_id"], name="test_unique_per_project")
        ]

    def __str__(self) -> str:
        return self.name


class NodeRunResult(models.Model):
    """One node's result in one dbt invocation (run_results.json)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="run_results")
    ingest_run = models.ForeignKey(IngestRun, on_delete=models.CASCADE, related_name="run_results")
    invocation_id = models.CharField(max_length=64)
    unique_id = models.CharField(max_length=512)
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="run_results"
    )
    test = models.ForeignKey(
        DataTest, null=True, blank=True, on_delete=models.SET_NULL, related_name="results"
    )
    status = models.CharField(max_length=20, db_index=True)
    message = models.TextField(blank=True)
    failures = models.IntegerField(null=True, blank=True)
    execution_time = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    rows_affected = models.BigIntegerField(null=True, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-generated_at", "unique_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "invocation_id", "unique_id"], name="runresult_unique"
            )
        ]
        indexes = [
            models.Index(fields=["asset", "-generated_at"]),
            models.Index(fields=["test", "-generated_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.unique_id}: {self.status}"


class SourceFreshnessResult(models.Model):
    """One source's freshness check in one invocation (sources.json)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="freshness_results")
    ingest_run = models.ForeignKey(
        IngestRun, on_delete=models.CASCADE, related_name="freshness_results"
    )
    invocation_id = models.CharField(max_length=64)
    unique_id = models.CharField(max_length=512)
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="freshness_results"
    )
    status = models.CharField(max_length=20)
    max_loaded_at = models.DateTimeField(null=True, blank=True)
    snapshotted_at = models.DateTimeField(null=True, blank=True)
    age_seconds = models.FloatField(null=True, blank=True)
    criteria = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-generated_at", "unique_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "invocation_id", "unique_id"], name="freshness_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unique_id}: {self.status}"


class AssetChange(models.Model):
    """What one ingest run did to one asset: added, changed (which fields), removed, restored."""

    class Action(models.TextChoices):
        ADDED = "added"
        CHANGED = "changed"
        REMOVED = "removed"
        RESTORED = "restored"

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="changes")
    ingest_run = models.ForeignKey(
        IngestRun, on_delete=models.CASCADE, related_name="asset_changes"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    fields = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.action} in run {self.ingest_run_id}"


class SearchDocument(models.Model):
    """What search ranks and counts for one asset: a narrow row of names, signals and facet
    values. Its long texts live in ``SearchText``.

    Kept current by ``catalog.search.search_documents_sync`` (called by ingest and by
    services that change a ranking signal). The database builds the full-text side
    itself (see migrations 0005-0007): on PostgreSQL generated ``tsvector`` columns
    (``name_vector``, ``primary_vector`` here; ``vector`` on ``SearchText``) with GIN
    indexes; on SQLite an FTS5 table over ``SearchText`` kept by triggers.
    """

    asset = models.OneToOneField(
        Asset, primary_key=True, on_delete=models.CASCADE, related_name="search_document"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    name = models.CharField(max_length=255)
    label = models.CharField(max_length=255, blank=True)
    summary = models.CharField(
        max_length=300, blank=True, help_text="The start of the description."
    )
    popularity = models.FloatField(default=0.0)
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    certified = models.BooleanField(default=False)
    deprecated = models.BooleanField(default=False)
    removed = models.BooleanField(default=False)
    # Facet values, copied from the asset so that a search counts facets over its own rows.
    database = models.CharField(max_length=255, blank=True)
    schema = models.CharField(max_length=255, blank=True)
    owners = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    has_pii = models.BooleanField(default=False)
    freshness = models.CharField(
        max_length=10, blank=True, help_text="Latest source freshness: pass, warn, error."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"search document of {self.name}"


class SearchText(models.Model):
    """The searchable texts of one asset, apart from ``SearchDocument`` so that ranking
    reads narrow rows. On SQLite its FTS5 index is kept by triggers: a migration that
    rebuilds this table must create them again (see 0007)."""

    asset = models.OneToOneField(
        Asset, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=255)
    label = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    column_text = models.TextField(blank=True, help_text="Column names and descriptions.")
    tag_text = models.TextField(blank=True, help_text="Tags and meta values.")

    def __str__(self) -> str:
        return f"search text of {self.name}"


class SearchWord(models.Model):
    """A word of some asset's name, label, columns or tags: the vocabulary that typo
    correction picks from (trigram index on PostgreSQL, difflib on SQLite). Words are
    only added; a stale word at worst suggests a query that finds nothing."""

    word = models.CharField(max_length=64, primary_key=True)

    def __str__(self) -> str:
        return self.word
