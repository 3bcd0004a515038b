"""The bulk writes of a query-log run: seen query ids, usage aggregates (COPY and upserts
on PostgreSQL), popularity, and the lineage edges of DML statements."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone

from catalog.models import Asset, SearchDocument
from lineage.models import (
    AssetEdge,
    AssetUsage,
    AssetUsageDay,
    AssetUserDay,
    ColumnEdge,
    ColumnEdgeKind,
    ColumnUsageDay,
    EdgeOrigin,
    Fingerprint,
    FingerprintDay,
    FingerprintUser,
    SeenQuery,
)
from lineage.querylog.resolve import asset_of, column_ids, ensure_warehouse_columns, resolve_columns

if TYPE_CHECKING:
    from lineage.querylog.pipeline import AggregateRun

POPULARITY_DAYS = 30


# ----------------------------------------------------------------------- seen ids


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


# The raw SQL below interpolates only our own models' table and column names (never input);
# values always go as parameters or through COPY.


def seen_keys(source_id: int, keys: list[int]) -> set[int]:
    if not keys:
        return set()
    table = SeenQuery._meta.db_table
    found: set[int] = set()
    with connection.cursor() as cursor:
        if _is_postgres():
            cursor.execute(
                f"SELECT key FROM {table} WHERE source_id = %s AND key = ANY(%s::bigint[])",  # noqa: S608
                [source_id, keys],
            )
            found.update(k for (k,) in cursor.fetchall())
        else:
            for start in range(0, len(keys), 900):
                part = keys[start : start + 900]
                cursor.execute(
                    f"SELECT key FROM {table} WHERE source_id = %s AND key IN "  # noqa: S608
                    f"({', '.join(['%s'] * len(part))})",
                    [source_id, *part],
                )
                found.update(k for (k,) in cursor.fetchall())
    return found


def seen_insert(source_id: int, rows: list[tuple[int, datetime]]) -> None:
    if not rows:
        return
    if _is_postgres():
        table = SeenQuery._meta.db_table
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} (source_id, key, started_at) FROM STDIN") as copy,
        ):
            for key, started in rows:
                copy.write_row((source_id, key, started))
    else:
        SeenQuery.objects.bulk_create(
            [SeenQuery(source_id=source_id, key=k, started_at=s) for k, s in rows], batch_size=2000
        )


# ----------------------------------------------------------------------- upserts


def _upsert(
    model,
    keys: list[str],
    adds: list[str],
    maxes: list[str],
    rows: list[tuple],
    replace: list[str] | None = None,
) -> None:
    """Insert rows; on a key conflict add ``adds`` to the stored values, keep the larger
    ``maxes`` and overwrite ``replace``. One statement per batch; COPY on PostgreSQL."""
    if not rows:
        return
    replace = replace or []
    table = model._meta.db_table
    columns = keys + adds + maxes + replace
    column_list = ", ".join(columns)
    greatest = "GREATEST" if _is_postgres() else "max"
    sets = (
        [f"{c} = {table}.{c} + EXCLUDED.{c}" for c in adds]
        + [f"{c} = {greatest}({table}.{c}, EXCLUDED.{c})" for c in maxes]
        + [f"{c} = EXCLUDED.{c}" for c in replace]
    )
    conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(sets)}"
    with connection.cursor() as cursor:
        if _is_postgres():
            temp = f"_upsert_{table}"
            cursor.execute(
                f"CREATE TEMP TABLE {temp} AS SELECT {column_list} FROM {table} WITH NO DATA"  # noqa: S608
            )
            with cursor.cursor.copy(f"COPY {temp} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            # Key order: the index is filled in order, and no row is claimed twice by ON CONFLICT.
            cursor.execute(
                f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {temp} "  # noqa: S608
                f"ORDER BY {', '.join(keys)} {conflict}"
            )
            cursor.execute(f"DROP TABLE {temp}")
        else:
            ops = connection.ops
            adapted = [
                tuple(
                    ops.adapt_datetimefield_value(v)
                    if isinstance(v, datetime)
                    else ops.adapt_datefield_value(v)
                    if isinstance(v, date)
                    else v
                    for v in row
                )
                for row in rows
            ]
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({column_list}) VALUES ({placeholders}) {conflict}",  # noqa: S608
                adapted,
            )


def usage_write(
    run: AggregateRun,
    stored: dict[int, Fingerprint],
    reads_by: dict[int, set[int]],
    writes_by: dict[int, set[int]],
) -> None:
    """Everything the run counted, added to the stored aggregates: per fingerprint (day,
    user), per asset (user and day, day), per column and day; then last read and write,
    popularity, and the edges of DML statements."""
    shapes = run.shapes
    fp_id = [stored[s.key].pk for s in shapes]
    _upsert(
        FingerprintDay,
        ["fingerprint_id", "day"],
        ["query_count"],
        ["last_run_at"],
        [(fp_id[s], date.fromordinal(d), c, last) for (s, d), (c, last) in run.shape_day.items()],
    )
    user_names = {i: name for name, i in run.user_names.items()}
    _upsert(
        FingerprintUser,
        ["fingerprint_id", '"user"'],
        ["query_count"],
        ["last_run_at"],
        [(fp_id[s], user_names[u], c, last) for (s, u), (c, last) in run.shape_user.items()],
    )

    # Per asset, per user, per day.
    asset_user_day: dict[tuple[int, int, int], list[int]] = {}
    for (s, d, u), (calls, _last) in run.shape_day_user.items():
        reads = reads_by[s]
        for asset_id in reads | writes_by[s]:
            entry = asset_user_day.setdefault((asset_id, u, d), [0, 0])
            entry[0] += calls
            if asset_id in reads:
                entry[1] += calls
    _upsert(
        AssetUserDay,
        ["asset_id", "day", '"user"'],
        ["query_count", "read_count"],
        [],
        [
            (a, date.fromordinal(d), user_names[u], q, r)
            for (a, u, d), (q, r) in asset_user_day.items()
        ],
    )
    touched = {a for a, _u, _d in asset_user_day}
    run.stats.assets_touched = len(touched)
    days = {d for _a, _u, d in asset_user_day}
    if touched:
        _asset_days_recompute(touched, date.fromordinal(min(days)), date.fromordinal(max(days)))

    # Per column per day.
    shape_columns = resolve_columns(run, stored, touched)
    column_day: Counter[tuple[int, int]] = Counter()
    for (s, d), (calls, _last) in run.shape_day.items():
        for column_id in shape_columns.get(s, ()):
            column_day[(column_id, d)] += calls
    _upsert(
        ColumnUsageDay,
        ["column_id", "day"],
        ["query_count"],
        [],
        [(c, date.fromordinal(d), n) for (c, d), n in column_day.items()],
    )

    # Last read / last write, popularity.
    last_read: dict[int, datetime] = {}
    last_write: dict[int, datetime] = {}
    for (s, _d), (_calls, last) in run.shape_day.items():
        for asset_id in reads_by[s]:
            if asset_id not in last_read or last > last_read[asset_id]:
                last_read[asset_id] = last
        for asset_id in writes_by[s]:
            if asset_id not in last_write or last > last_write[asset_id]:
                last_write[asset_id] = last
    if touched:
        usage_refresh(touched, last_read=last_read, last_write=last_write)
    run.stats.edges_added = _dml_edges(run, stored, reads_by, writes_by)


def _asset_days_recompute(asset_ids: set[int], first: date, last: date) -> None:
    """Asset-day figures from the per-user rows of the touched days (distinct users can
    only be recounted, not added)."""
    table = AssetUsageDay._meta.db_table
    source = AssetUserDay._meta.db_table
    ids = sorted(asset_ids)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 900):
            part = ids[start : start + 900]
            if _is_postgres():
                where, params = "asset_id = ANY(%s::bigint[])", [part]
            else:
                where, params = f"asset_id IN ({', '.join(['%s'] * len(part))})", list(part)
            ops = connection.ops
            cursor.execute(
                f"INSERT INTO {table} (asset_id, day, query_count, read_count, distinct_users) "  # noqa: S608
                f"SELECT asset_id, day, SUM(query_count), SUM(read_count), COUNT(*) FROM {source} "
                f"WHERE day >= %s AND day <= %s AND {where} GROUP BY asset_id, day "
                f"ON CONFLICT (asset_id, day) DO UPDATE SET query_count = EXCLUDED.query_count, "
                f"read_count = EXCLUDED.read_count, distinct_users = EXCLUDED.distinct_users",
                [ops.adapt_datefield_value(first), ops.adapt_datefield_value(last), *params],
            )


def usage_refresh(
    asset_ids: set[int],
    *,
    last_read: dict[int, datetime] | None = None,
    last_write: dict[int, datetime] | None = None,
) -> None:
    """Last read/write (kept at their maximum), 30-day reads and popularity of these assets,
    and popularity as a search ranking signal."""
    from django.db.models import Sum

    last_read = last_read or {}
    last_write = last_write or {}
    since = timezone.now().date() - timedelta(days=POPULARITY_DAYS)
    ids = list(asset_ids)
    reads: dict[int, int] = {}
    existing: dict[int, AssetUsage] = {}
    for start in range(0, len(ids), 2000):
        part = ids[start : start + 2000]
        reads.update(
            AssetUsageDay.objects.filter(asset_id__in=part, day__gt=since)
            .values("asset_id")
            .annotate(n=Sum("read_count"))
            .values_list("asset_id", "n")
        )
        existing.update(AssetUsage.objects.in_bulk(part))
    rows = []
    now = timezone.now()
    for asset_id in ids:
        usage = existing.get(asset_id) or AssetUsage(asset_id=asset_id)
        for attr, value in (
            ("last_read_at", last_read.get(asset_id)),
            ("last_write_at", last_write.get(asset_id)),
        ):
            if value is not None and (getattr(usage, attr) is None or value > getattr(usage, attr)):
                setattr(usage, attr, value)
        usage.reads_30d = int(reads.get(asset_id) or 0)
        usage.popularity = round(math.log10(1 + usage.reads_30d), 4)
        usage.updated_at = now
        rows.append(usage)
    AssetUsage.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["asset"],
        update_fields=["last_read_at", "last_write_at", "reads_30d", "popularity", "updated_at"],
    )
    docs = list(SearchDocument.objects.filter(asset_id__in=ids).only("asset_id", "popularity"))
    by_id = {u.asset_id: u.popularity for u in rows}
    changed = [d for d in docs if d.popularity != by_id.get(d.asset_id, 0.0)]
    for doc in changed:
        doc.popularity = by_id.get(doc.asset_id, 0.0)
    SearchDocument.objects.bulk_update(changed, ["popularity"], batch_size=2000)


def _dml_edges(run: AggregateRun, stored, reads_by, writes_by) -> int:
    """INSERT ... SELECT, CREATE TABLE AS, MERGE and UPDATE ... FROM: table edges from every
    table read to every table written, and column edges from the parsed column lineage."""
    pairs: set[tuple[int, int]] = set()
    column_pairs: dict[tuple[int, int], tuple[int, str]] = {}
    dml_shapes = [i for i, s in enumerate(run.shapes) if writes_by[i] and reads_by[i]]
    if not dml_shapes:
        return 0
    wanted_columns: dict[tuple[int, str], None] = {}
    for i in dml_shapes:
        pairs.update((up, down) for up in reads_by[i] for down in writes_by[i] if up != down)
    for i in dml_shapes:
        shape = run.shapes[i]
        for target_table, target_column, _kind, sources in stored[shape.key].lineage:
            down_asset = asset_of(run, target_table, shape)
            if down_asset is not None:
                wanted_columns[(down_asset, target_column.lower())] = None
                for table, column in sources:
                    up_asset = asset_of(run, table, shape)
                    if up_asset is not None:
                        wanted_columns[(up_asset, column.lower())] = None
    ensure_warehouse_columns(
        run,
        stored,
        {a: {c for (x, c) in wanted_columns if x == a} for a in {a for a, _c in wanted_columns}},
    )
    columns = column_ids({a for a, _c in wanted_columns})
    for i in dml_shapes:
        shape = run.shapes[i]
        for target_table, target_column, kind, sources in stored[shape.key].lineage:
            down_asset = asset_of(run, target_table, shape)
            down = columns.get((down_asset, target_column.lower())) if down_asset else None
            if down is None:
                continue
            for table, column in sources:
                up_asset = asset_of(run, table, shape)
                up = columns.get((up_asset, column.lower())) if up_asset else None
                if up is not None and up != down:
                    column_pairs[(up, down)] = (
                        down_asset,
                        kind if kind in ColumnEdgeKind.values else "transform",
                    )
    projects = dict(
        Asset.objects.filter(pk__in={d for _u, d in pairs}).values_list("id", "project_id")
    )
    before = AssetEdge.objects.filter(origin=EdgeOrigin.QUERY_LOG).count()
    AssetEdge.objects.bulk_create(
        [
            AssetEdge(
                project_id=projects[d],
                upstream_id=u,
                downstream_id=d,
                origin=EdgeOrigin.QUERY_LOG,
                created_by_run_id=run.ingest_run_id,
            )
            for u, d in pairs
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    down_projects = dict(
        Asset.objects.filter(pk__in={a for a, _k in column_pairs.values()}).values_list(
            "id", "project_id"
        )
    )
    ColumnEdge.objects.bulk_create(
        [
            ColumnEdge(
                project_id=down_projects[a],
                upstream_id=u,
                downstream_id=d,
                downstream_asset_id=a,
                kind=k,
                origin=EdgeOrigin.QUERY_LOG,
            )
            for (u, d), (a, k) in column_pairs.items()
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    return AssetEdge.objects.filter(origin=EdgeOrigin.QUERY_LOG).count() - before
