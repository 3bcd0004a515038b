"""Lineage edges between assets (and, later, columns), with where each edge came from."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from catalog.models import Asset, IngestRun, Project


class EdgeOrigin(models.TextChoices):
    DBT = "dbt", "dbt depends_on"
    SQL = "sql", "Parsed SQL"
    QUERY_LOG = "query_log", "Query log"
    OPENLINEAGE = "openlineage", "OpenLineage"


class AssetEdge(models.Model):
    """Data flows from ``upstream`` to ``downstream``.

    Edges to a removed asset are kept: the asset's tombstone flags them.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="asset_edges")
    upstream = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="downstream_edges")
    downstream = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="upstream_edges")
    origin = models.CharField(max_length=20, choices=EdgeOrigin.choices, default=EdgeOrigin.DBT)
    created_by_run = models.ForeignKey(
        IngestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["upstream_id", "downstream_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["upstream", "downstream", "origin"], name="asset_edge_unique"
            ),
            models.CheckConstraint(
                condition=~Q(upstream=F("downstream")), name="asset_edge_not_self"
            ),
        ]
        indexes = [models.Index(fields=["downstream", "upstream"])]

    def __str__(self) -> str:
        return f"{self.upstream_id} → {self.downstream_id} ({self.origin})"


class ColumnEdgeKind(models.TextChoices):
    COPY = "copy", "Direct copy"
    TRANSFORM = "transform", "Transformation"
    AGGREGATE = "aggregate", "Aggregation"


class ColumnEdge(models.Model):
    """Column-level lineage: ``downstream`` is computed from ``upstream``."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="column_edges")
    upstream = models.ForeignKey(
        "catalog.Column", on_delete=models.CASCADE, related_name="downstream_edges"
    )
    downstream = models.ForeignKey(
        "catalog.Column", on_delete=models.CASCADE, related_name="upstream_edges"
    )
    downstream_asset = models.ForeignKey(
        Asset, on_delete=models.CASCADE, related_name="column_edges_in"
    )
    kind = models.CharField(max_length=20, choices=ColumnEdgeKind.choices)
    expression = models.TextField(blank=True)
    origin = models.CharField(max_length=20, choices=EdgeOrigin.choices, default=EdgeOrigin.SQL)

    class Meta:
        ordering = ["downstream_id", "upstream_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["upstream", "downstream", "origin"], name="column_edge_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["upstream"]),
            models.Index(fields=["downstream_asset", "origin"]),
        ]

    def __str__(self) -> str:
        return f"{self.upstream_id} → {self.downstream_id} ({self.kind})"


class ModelParse(models.Model):
    """The last column-lineage parse of one model: skipped next time if its input is unchanged."""

    class Status(models.TextChoices):
        OK = "ok"
        FAILED = "failed"
        NO_SQL = "no_sql", "No compiled SQL"

    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="lineage_parse")
    input_hash = models.CharField(max_length=32)
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.TextField(blank=True)
    edges = models.PositiveIntegerField(default=0)
    unresolved_sources = models.PositiveIntegerField(default=0)
    parsed_at = models.DateTimeField(auto_now=True)
    run = models.ForeignKey(
        IngestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["asset_id"]

    def __str__(self) -> str:
        return f"{self.asset_id}: {self.status}"


# ------------------------------------------------------------------------ query logs


class QueryLogSource(models.Model):
    """One warehouse connection whose query log is ingested: its dialect, format and watermark.

    ``settings`` holds format options; a live PostgreSQL source keeps its connection URL
    there (``{"url": "postgres://..."}``). ``pull_state`` is what the next live pull needs
    (pg_stat_statements counters of the previous pull).
    """

    name = models.CharField(max_length=100, unique=True)
    dialect = models.CharField(max_length=30, help_text="sqlglot dialect of its statements.")
    format = models.CharField(
        max_length=40, blank=True, help_text="Reader name; blank = detect per file."
    )
    settings = models.JSONField(default=dict, blank=True)
    default_database = models.CharField(max_length=255, blank=True)
    default_schema = models.CharField(max_length=255, blank=True)
    project = models.ForeignKey(
        Project,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where warehouse-only relations seen in this log are cataloged.",
    )
    watermark = models.DateTimeField(
        null=True, blank=True, help_text="Newest statement start ingested."
    )
    pull_state = models.JSONField(default=dict, blank=True)
    last_pulled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_live(self) -> bool:
        return self.format == "pg_stat_statements" and bool((self.settings or {}).get("url"))


class QueryLogRun(models.Model):
    """What one query-log ingest run read, skipped and could not parse (the run is an IngestRun)."""

    run = models.OneToOneField(IngestRun, on_delete=models.CASCADE, related_name="query_log")
    source = models.ForeignKey(QueryLogSource, on_delete=models.CASCADE, related_name="runs")
    format = models.CharField(max_length=40, blank=True)
    rows = models.PositiveIntegerField(default=0)
    records = models.PositiveIntegerField(
        default=0, help_text="Statements counted (new, after dedup)."
    )
    executions = models.PositiveBigIntegerField(
        default=0, help_text="Executions counted (calls summed)."
    )
    duplicates = models.PositiveIntegerField(default=0)
    too_old = models.PositiveIntegerField(
        default=0, help_text="Older than the dedup window before the watermark."
    )
    malformed = models.PositiveIntegerField(default=0)
    malformed_rows = models.JSONField(
        default=list, blank=True, help_text="[{line, message}], the first 50."
    )
    fingerprints = models.PositiveIntegerField(default=0)
    fingerprints_new = models.PositiveIntegerField(default=0)
    unparsable = models.PositiveIntegerField(
        default=0, help_text="Statements whose SQL could not be analysed."
    )
    unparsable_reasons = models.JSONField(
        default=dict, blank=True, help_text="{reason: {count, sample}}"
    )
    assets_touched = models.PositiveIntegerField(default=0)
    assets_created = models.PositiveIntegerField(default=0)
    edges_added = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-run_id"]

    def __str__(self) -> str:
        return f"query log run {self.run_id} of {self.source_id}"


class SeenQuery(models.Model):
    """A warehouse query id already counted for a source, as a 64-bit hash (dedup).

    Ids older than the source's watermark minus ``LEXICON_QUERYLOG_DEDUP_DAYS`` are pruned;
    statements that old are skipped instead, so the table stays about one window long.

    Volume tables (this one and the usage aggregates) have a composite primary key and no
    database-level foreign key: a million rows per run would otherwise pay for a surrogate
    key index and a deferred foreign-key check per row at commit. Only the pipeline writes
    them, with ids it has just read in the same transaction; Django's on_delete still
    cascades deletions.
    """

    pk = models.CompositePrimaryKey("source", "key")
    source = models.ForeignKey(
        QueryLogSource, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    key = models.BigIntegerField()
    started_at = models.DateTimeField()

    class Meta:
        ordering = ["source_id", "key"]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.key}"


class Fingerprint(models.Model):
    """One statement shape: literals and IN-lists replaced, whitespace and case folded.

    Parsed once (in ``dialect`` with the session's default database and schema, which
    are part of ``key``); the result is reused by every later run.
    """

    key = models.BigIntegerField(
        unique=True, help_text="64-bit hash of dialect, defaults and text."
    )
    dialect = models.CharField(max_length=30)
    default_database = models.CharField(max_length=255, blank=True)
    default_schema = models.CharField(max_length=255, blank=True)
    text = models.TextField(help_text="Normalised text.")
    example = models.TextField(blank=True, help_text="One statement with its literals redacted.")
    raw_example = models.TextField(
        blank=True, help_text="One raw statement; only with LEXICON_STORE_RAW_QUERY_TEXT."
    )
    statement_type = models.CharField(max_length=30, blank=True)
    reads = models.JSONField(default=list, blank=True)
    writes = models.JSONField(default=list, blank=True)
    columns = models.JSONField(
        default=list, blank=True, help_text="[[table, column], ...] in the select list."
    )
    filters = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            "[[table, column], ...] named elsewhere (WHERE, "
            "JOIN, GROUP BY); counted when cataloged."
        ),
    )
    lineage = models.JSONField(
        default=list, blank=True, help_text="Column lineage of DML: [[target, [sources]]]."
    )
    error = models.TextField(blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text[:80]


class FingerprintAsset(models.Model):
    """A fingerprint reads or writes an asset (resolved by relation key)."""

    fingerprint = models.ForeignKey(
        Fingerprint, on_delete=models.CASCADE, related_name="asset_links"
    )
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="+")
    writes = models.BooleanField(default=False)

    class Meta:
        ordering = ["fingerprint_id", "asset_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint", "asset", "writes"], name="fingerprint_asset_unique"
            )
        ]
        indexes = [models.Index(fields=["asset", "fingerprint"])]

    def __str__(self) -> str:
        return f"{self.fingerprint_id} {'writes' if self.writes else 'reads'} {self.asset_id}"


class FingerprintDay(models.Model):
    """Executions of one fingerprint on one day (UTC): the base of top queries per asset."""

    pk = models.CompositePrimaryKey("fingerprint", "day")
    fingerprint = models.ForeignKey(
        Fingerprint, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    day = models.DateField()
    query_count = models.PositiveBigIntegerField(default=0)
    last_run_at = models.DateTimeField()

    class Meta:
        ordering = ["fingerprint_id", "day"]

    def __str__(self) -> str:
        return f"{self.fingerprint_id} {self.day}: {self.query_count}"


class FingerprintUser(models.Model):
    """Executions of one fingerprint by one user (all time)."""

    pk = models.CompositePrimaryKey("fingerprint", "user")
    fingerprint = models.ForeignKey(
        Fingerprint, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    user = models.CharField(max_length=255)
    query_count = models.PositiveBigIntegerField(default=0)
    last_run_at = models.DateTimeField()

    class Meta:
        ordering = ["fingerprint_id", "user"]

    def __str__(self) -> str:
        return f"{self.fingerprint_id} by {self.user}: {self.query_count}"


class AssetUserDay(models.Model):
    """Queries of one user touching one asset on one day; asset-day figures are derived from it."""

    pk = models.CompositePrimaryKey("asset", "day", "user")
    asset = models.ForeignKey(
        Asset, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    user = models.CharField(max_length=255)
    day = models.DateField()
    query_count = models.PositiveBigIntegerField(default=0)
    read_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["asset_id", "day", "user"]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.day} {self.user}: {self.query_count}"


class AssetUsageDay(models.Model):
    """Per asset per day: queries touching it, queries reading it, distinct users."""

    pk = models.CompositePrimaryKey("asset", "day")
    asset = models.ForeignKey(
        Asset, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    day = models.DateField()
    query_count = models.PositiveBigIntegerField(default=0)
    read_count = models.PositiveBigIntegerField(default=0)
    distinct_users = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["asset_id", "day"]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.day}: {self.query_count}"


class ColumnUsageDay(models.Model):
    """Queries referencing one column on one day."""

    pk = models.CompositePrimaryKey("column", "day")
    column = models.ForeignKey(
        "catalog.Column", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    day = models.DateField()
    query_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["column_id", "day"]

    def __str__(self) -> str:
        return f"{self.column_id} {self.day}: {self.query_count}"


class AssetUsage(models.Model):
    """Last read and last write of an asset seen in any query log, and its popularity."""

    asset = models.OneToOneField(
        Asset, primary_key=True, on_delete=models.CASCADE, related_name="usage"
    )
    last_read_at = models.DateTimeField(null=True, blank=True)
    last_write_at = models.DateTimeField(null=True, blank=True)
    reads_30d = models.PositiveBigIntegerField(default=0)
    popularity = models.FloatField(default=0.0, help_text="log10(1 + reads in the last 30 days).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["asset_id"]

    def __str__(self) -> str:
        return f"usage of {self.asset_id}"
