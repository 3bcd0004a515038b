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
