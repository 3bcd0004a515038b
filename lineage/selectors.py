"""Reads of lineage for pages and the API."""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from catalog.models import Asset
from lineage.models import AssetEdge


def asset_neighbours(asset: Asset) -> dict[str, list[Asset]]:
    """Direct upstream and downstream assets (removed ones included, flagged by their tombstone)."""
    upstream = [
        e.upstream
        for e in AssetEdge.objects.filter(downstream=asset)
        .select_related("upstream__project")
        .order_by("upstream__kind", "upstream__name")
    ]
    downstream = [
        e.downstream
        for e in AssetEdge.objects.filter(upstream=asset)
        .select_related("downstream__project")
        .order_by("downstream__kind", "downstream__name")
    ]
    return {"upstream": upstream, "downstream": downstream}


MAX_DEPTH = 5
MAX_NODES = 2000


def ids_in(queryset, column: str, ids):
    """``column IN ids`` as one array parameter on PostgreSQL (``= ANY(%s)``): thousands of
    ids otherwise become thousands of bind parameters, built and split in Python."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        table = queryset.model._meta.db_table
        # table and column are our own model's names, never user input.
        condition = RawSQL(f'"{table}"."{column}" = ANY(%s)', [ids], output_field=BooleanField())  # noqa: S611
        return queryset.filter(condition)
    return queryset.filter(**{f"{column}__in": ids})


def _walk(
    start: int,
    direction: str,
    depth: int,
    edge_model,
    up_field: str,
    down_field: str,
    max_nodes: int,
) -> tuple[dict[int, int], set[tuple[int, int]], bool]:
    """Breadth-first walk over an edge table, one query per level and direction.

    Returns {node id: distance}, edges as (upstream, downstream), and whether the walk
    stopped at ``max_nodes``.
    """
    distance = {start: 0}
    edges: set[tuple[int, int]] = set()
    truncated = False
    for way in ("up", "down") if direction == "both" else (direction,):
        frontier = {start}
        for level in range(1, depth + 1):
            if not frontier:
                break
            key = up_field if way == "down" else down_field
            rows = ids_in(edge_model.objects.all(), key, frontier).values_list(up_field, down_field)
            next_frontier = set()
            for up, down in rows:
                edges.add((up, down))
                other = down if way == "down" else up
                if other not in distance:
                    if len(distance) >= max_nodes:
                        truncated = True
                        continue
                    distance[other] = level if way == "down" else -level
                    next_frontier.add(other)
            frontier = next_frontier
    edges = {(u, d) for u, d in edges if u in distance and d in distance}
    return distance, edges, truncated


def asset_graph(
    asset: Asset, *, direction: str = "both", depth: int = 1, max_nodes: int = MAX_NODES
) -> dict:
    """Nodes and edges around an asset: ``depth`` levels up and/or down."""
    depth = max(1, min(MAX_DEPTH, depth))
    distance, edges, truncated = _walk(
        asset.pk, direction, depth, AssetEdge, "upstream_id", "downstream_id", max_nodes
    )
    from catalog.models import Column, SearchDocument, SourceFreshnessResult
    from catalog.selectors import latest_status_by

    nodes = ids_in(Asset.objects.all(), "id", distance).values_list(
        "id", "name", "label", "kind", "dbt_tier", "removed_at", "project__name", "unique_id"
    )
    pii = set(
        ids_in(
            Column.objects.filter(removed_at__isnull=True).exclude(dbt_pii=""), "asset_id", distance
        )
        .order_by()
        .values_list("asset_id", flat=True)
        .distinct()
    )
    deprecated = set(
        ids_in(SearchDocument.objects.filter(deprecated=True), "asset_id", distance).values_list(
            "asset_id", flat=True
        )
    )
    freshness = latest_status_by(
        ids_in(SourceFreshnessResult.objects.all(), "asset_id", distance), "asset_id"
    )
    return {
        "root": asset.pk,
        "nodes": [
            {
                "id": pk,
                "name": label or name,
                "kind": kind,
                "unique_id": unique_id,
                "project": project,
                "tier": tier,
                "removed": removed_at is not None,
                "pii": pk in pii,
                "deprecated": pk in deprecated,
                "freshness": freshness.get(pk, ""),
                "distance": distance[pk],
            }
            for pk, name, label, kind, tier, removed_at, project, unique_id in nodes
        ],
        "edges": [{"source": u, "target": d} for u, d in sorted(edges)],
        "truncated": truncated,
    }


def column_graph(
    column, *, direction: str = "both", depth: int = 1, max_nodes: int = MAX_NODES
) -> dict:
    from catalog.models import Column
    from lineage.models import ColumnEdge

    depth = max(1, min(MAX_DEPTH, depth))
    distance, edges, truncated = _walk(
        column.pk, direction, depth, ColumnEdge, "upstream_id", "downstream_id", max_nodes
    )
    kinds = {
        (e.upstream_id, e.downstream_id): e.kind
        for e in ColumnEdge.objects.filter(
            upstream_id__in=[u for u, _ in edges], downstream_id__in=[d for _, d in edges]
        ).only("upstream_id", "downstream_id", "kind")
    }
    nodes = Column.objects.filter(pk__in=distance).select_related("asset")
    return {
        "root": column.pk,
        "nodes": [
            {
                "id": c.pk,
                "column": c.name,
                "asset_id": c.asset_id,
                "asset": c.asset.name,
                "kind": c.asset.kind,
                "distance": distance[c.pk],
            }
            for c in nodes
        ],
        "edges": [
            {"source": u, "target": d, "kind": kinds.get((u, d), "")} for u, d in sorted(edges)
        ],
        "truncated": truncated,
    }


def impact(asset: Asset, *, depth: int = MAX_DEPTH) -> list[dict]:
    """Everything downstream of an asset, nearest first: models, exposures, metrics..."""
    graph = asset_graph(asset, direction="down", depth=depth)
    rows = [n for n in graph["nodes"] if n["distance"] > 0]
    return sorted(rows, key=lambda n: (n["distance"], n["kind"], n["name"]))


def column_impact(column, *, depth: int = MAX_DEPTH) -> list[dict]:
    """Every column downstream of a column (through column lineage), with its asset."""
    graph = column_graph(column, direction="down", depth=depth)
    ids = {n["asset_id"] for n in graph["nodes"]}
    assets = {a.pk: a for a in Asset.objects.filter(pk__in=ids).select_related("project")}
    rows = []
    for n in graph["nodes"]:
        if n["distance"] <= 0:
            continue
        a = assets[n["asset_id"]]
        rows.append(
            {
                "id": a.pk,
                "name": a.label or a.name,
                "column": n["column"],
                "kind": a.kind,
                "unique_id": a.unique_id,
                "project": a.project.name,
                "tier": a.dbt_tier,
                "removed": a.removed_at is not None,
                "distance": n["distance"],
            }
        )
    return sorted(rows, key=lambda r: (r["distance"], r["name"], r["column"]))
