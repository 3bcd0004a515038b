"""Reads of the catalog that join, aggregate or prefetch."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet

from catalog.models import Asset, AssetKind, IngestRun, Project


@dataclass
class CatalogOverview:
    projects: int
    assets_by_kind: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, label, count)
    removed: int = 0
    recent_runs: list[IngestRun] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.assets_by_kind

    @property
    def total_assets(self) -> int:
        return sum(n for _kind, _label, n in self.assets_by_kind)


def catalog_overview() -> CatalogOverview:
    counts = (
        Asset.objects.filter(removed_at__isnull=True).values("kind").annotate(n=Count("id")).order_by("kind")
    )
    labels = dict(AssetKind.choices)
    return CatalogOverview(
        projects=Project.objects.count(),
        assets_by_kind=[(row["kind"], labels.get(row["kind"], row["kind"]), row["n"]) for row in counts],
        removed=Asset.objects.filter(removed_at__isnull=False).count(),
        recent_runs=list(IngestRun.objects.select_related("project")[:5]),
    )


def active_assets() -> QuerySet[Asset]:
    return Asset.objects.filter(removed_at__isnull=True)


def assets_search_basic(query: str) -> QuerySet[Asset]:
    """Plain substring search over names, descriptions and column names.

    The ranked full-text search (PostgreSQL FTS / SQLite FTS5) replaces this behind the
    same call in the search issue; until then this keeps the search box useful.
    """
    query = query.strip()
    qs = Asset.objects.select_related("project")
    if not query:
        return qs.none()
    match = (
        Q(name__icontains=query)
        | Q(label__icontains=query)
        | Q(description__icontains=query)
        | Q(columns__name__icontains=query)
    )
    return qs.filter(match).distinct().order_by(F("removed_at").asc(nulls_first=True), "name")


def ingest_run_progress(run: IngestRun) -> dict:
    """Phase and percent: live from the cache while running, from the row afterwards."""
    from catalog.progress import progress_get

    if run.status == IngestRun.Status.RUNNING:
        live = progress_get(run.pk)
        if live:
            return {"phase": live["phase"], "percent": live["percent"]}
    percent = 100 if run.is_finished else run.progress
    return {"phase": run.phase, "percent": percent}
