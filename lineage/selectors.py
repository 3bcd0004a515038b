"""Reads of lineage for pages and the API."""

from __future__ import annotations

from catalog.models import Asset
from lineage.models import AssetEdge


def asset_neighbours(asset: Asset) -> dict[str, list[Asset]]:
    """Direct upstream and downstream assets (removed ones included, flagged by their tombstone)."""
    upstream = [e.upstream for e in AssetEdge.objects.filter(downstream=asset).select_related("upstream__project")
                .order_by("upstream__kind", "upstream__name")]
    downstream = [e.downstream for e in AssetEdge.objects.filter(upstream=asset)
                  .select_related("downstream__project").order_by("downstream__kind", "downstream__name")]
    return {"upstream": upstream, "downstream": downstream}
