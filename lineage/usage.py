"""Reads of usage from query logs: the Usage tab and API of an asset, the consumers of
assets in impact analysis, and the report of unused assets."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from catalog.models import Asset, AssetKind, Column
from lineage.models import (
    AssetUsage,
    AssetUsageDay,
    AssetUserDay,
    ColumnUsageDay,
    Fingerprint,
    FingerprintAsset,
    FingerprintDay,
    FingerprintUser,
)
from lineage.selectors import ids_in

USAGE_DAYS = 30


def _since(days: int):
    return timezone.now().date() - timedelta(days=days - 1)


def asset_usage(asset: Asset, *, days: int = USAGE_DAYS, top: int = 10) -> dict:
    """The Usage tab and API: queries per day, top users, top queries and most used columns
    over the last ``days`` days, with last read, last write and popularity."""
    since = _since(days)
    by_day = {d.day: d for d in AssetUsageDay.objects.filter(asset=asset, day__gte=since)}
    series = []
    for n in range(days):
        day = since + timedelta(days=n)
        row = by_day.get(day)
        series.append(
            {
                "day": day,
                "queries": row.query_count if row else 0,
                "reads": row.read_count if row else 0,
                "users": row.distinct_users if row else 0,
            }
        )
    users = list(
        AssetUserDay.objects.filter(asset=asset, day__gte=since)
        .values("user")
        .annotate(queries=Sum("query_count"), days=Count("day"), last_day=Max("day"))
        .order_by("-queries", "user")[:top]
    )
    fingerprint_ids = FingerprintAsset.objects.filter(asset=asset).values("fingerprint_id")
    top_rows = list(
        FingerprintDay.objects.filter(fingerprint_id__in=fingerprint_ids, day__gte=since)
        .values("fingerprint_id")
        .annotate(queries=Sum("query_count"), last_run=Max("last_run_at"))
        .order_by("-queries", "fingerprint_id")[:top]
    )
    fingerprints = Fingerprint.objects.in_bulk([r["fingerprint_id"] for r in top_rows])
    writes = set(
        FingerprintAsset.objects.filter(
            asset=asset, writes=True, fingerprint_id__in=fingerprints
        ).values_list("fingerprint_id", flat=True)
    )
    query_users: dict[int, list[str]] = {}
    for fp_id, user in (
        FingerprintUser.objects.filter(fingerprint_id__in=fingerprints)
        .order_by("fingerprint_id", "-query_count", "user")
        .values_list("fingerprint_id", "user")
    ):
        query_users.setdefault(fp_id, []).append(user)
    queries = [
        {
            "fingerprint_id": r["fingerprint_id"],
            "text": fingerprints[r["fingerprint_id"]].text,
            "example": fingerprints[r["fingerprint_id"]].example,
            "statement_type": fingerprints[r["fingerprint_id"]].statement_type,
            "writes": r["fingerprint_id"] in writes,
            "queries": r["queries"],
            "last_run": r["last_run"],
            "users": query_users.get(r["fingerprint_id"], [])[:5],
            "user_count": len(query_users.get(r["fingerprint_id"], [])),
        }
        for r in top_rows
    ]
    column_rows = list(
        ColumnUsageDay.objects.filter(column__asset=asset, day__gte=since)
        .values("column_id")
        .annotate(queries=Sum("query_count"))
        .order_by("-queries", "column_id")[:top]
    )
    names = dict(
        Column.objects.filter(pk__in=[r["column_id"] for r in column_rows]).values_list(
            "id", "name"
        )
    )
    columns = [
        {
            "column_id": r["column_id"],
            "name": names.get(r["column_id"], "?"),
            "queries": r["queries"],
        }
        for r in column_rows
    ]
    summary = AssetUsage.objects.filter(asset=asset).first()
    return {
        "days": days,
        "since": since,
        "series": series,
        "total_queries": sum(p["queries"] for p in series),
        "total_reads": sum(p["reads"] for p in series),
        "top_users": users,
        "top_queries": queries,
        "top_columns": columns,
        "last_read_at": summary.last_read_at if summary else None,
        "last_write_at": summary.last_write_at if summary else None,
        "popularity": summary.popularity if summary else 0.0,
        "has_usage": summary is not None,
    }


def consumers(asset_ids, *, days: int = USAGE_DAYS) -> list[dict]:
    """People (warehouse users) who queried any of these assets in the last ``days`` days,
    most active first: who to tell before changing them."""
    rows = (
        ids_in(
            AssetUserDay.objects.filter(day__gte=_since(days)).exclude(user=""),
            "asset_id",
            asset_ids,
        )
        .values("user")
        .annotate(
            queries=Sum("query_count"), assets=Count("asset_id", distinct=True), last_day=Max("day")
        )
        .order_by("-queries", "user")
    )
    return list(rows)


def unused_assets(
    *, days: int = 90, tier: int | None = None, owner: str = "", project_id: int | None = None
):
    """Active relations with no reads in the last ``days`` days (or never), oldest read
    first: deprecation candidates. Only meaningful once query logs are ingested."""
    cutoff = timezone.now() - timedelta(days=days)
    assets = (
        Asset.objects.filter(
            removed_at__isnull=True,
            kind__in=[
                AssetKind.MODEL,
                AssetKind.SOURCE,
                AssetKind.SEED,
                AssetKind.SNAPSHOT,
                AssetKind.WAREHOUSE_RELATION,
            ],
        )
        .filter(
            Q(usage__isnull=True)
            | Q(usage__last_read_at__isnull=True)
            | Q(usage__last_read_at__lt=cutoff)
        )
        .select_related("project", "usage")
    )
    if tier is not None:
        assets = assets.filter(dbt_tier=tier)
    if owner:
        assets = assets.filter(dbt_owners__icontains=owner)
    if project_id is not None:
        assets = assets.filter(project_id=project_id)
    return assets.order_by("dbt_tier", "usage__last_read_at", "project__name", "name")
