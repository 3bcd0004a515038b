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
    created_by_run = models.ForeignKey(IngestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["upstream_id", "downstream_id"]
        constraints = [
            models.UniqueConstraint(fields=["upstream", "downstream", "origin"], name="asset_edge_unique"),
            models.CheckConstraint(condition=~Q(upstream=F("downstream")), name="asset_edge_not_self"),
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
    upstream = models.ForeignKey("catalog.Column", on_delete=models.CASCADE, related_name="downstream_edges")
    downstream = models.ForeignKey("catalog.Column", on_delete=models.CASCADE, related_name="upstream_edges")
    downstream_asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="column_edges_in")
    kind = models.CharField(max_length=20, choices=ColumnEdgeKind.choices)
    expression = models.TextField(blank=True)
    origin = models.CharField(max_length=20, choices=EdgeOrigin.choices, default=EdgeOrigin.SQL)

    class Meta:
        ordering = ["downstream_id", "upstream_id"]
        constraints = [
            models.UniqueConstraint(fields=["upstream", "downstream", "origin"], name="column_edge_unique"),
        ]
        indexes = [models.Index(fields=["upstream"]), models.Index(fields=["downstream_asset", "origin"])]

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
    run = models.ForeignKey(IngestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["asset_id"]

    def __str__(self) -> str:
        return f"{self.asset_id}: {self.status}"
