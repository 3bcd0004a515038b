"""The query-log pipeline: records → fingerprints → one parse per shape → assets → usage.

``querylog_aggregate`` consumes a reader's records and row errors and writes, in the
caller's transaction, everything a run changes: seen query ids, fingerprints, usage
aggregates, warehouse-only assets, lineage edges from DML and popularity. Rows are
handled in chunks so that a million-row log needs little memory; the aggregates are
added to the stored ones only for query ids never counted before, which makes
re-ingesting a file, or an overlapping window, change nothing.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from catalog.models import Asset, AssetKind, Column, Project, SearchDocument
from catalog.progress import ProgressCallback
from catalog.relations import relation_key
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
    FingerprintAsset,
    FingerprintDay,
    FingerprintUser,
    QueryLogSource,
    SeenQuery,
)
from lineage.querylog.fingerprint import fingerprint_key, normalise, query_id_key, redact
from lineage.querylog.formats.base import LogRecord, RowError
from lineage.querylog.parsing import ShapeParser

CHUNK = 50_000
MAX_ERRORS_LISTED = 50
POPULARITY_DAYS = 30
_TEXT_CACHE_LIMIT = 200_000  # raw text → fingerprint, for logs that repeat statements verbatim
_UNSAFE_WAREHOUSE_NAMES = ("/", "@", "'")  # stages and file paths are not relations


@dataclass
class AggregateStats:
    rows: int = 0
    records: int = 0
    executions: int = 0
    duplicates: int = 0
    too_old: int = 0
    malformed: int = 0
    malformed_rows: list[dict] = field(default_factory=list)
    fingerprints: int = 0
    fingerprints_new: int = 0
    unparsable: int = 0
    unparsable_reasons: dict[str, dict] = field(default_factory=dict)
    assets_touched: int = 0
    assets_created: int = 0
    edges_added: int = 0
    window_start: datetime | None = None
    window_end: datetime | None = None
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _Shape:
    """A fingerprint of this run: its key and the first raw statement (parsed if new)."""

    key: int
    text: str
    raw: str
    database: str
    schema: str
    accessed: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)
    statements: int = 0


class _Run:
    def __init__(
        self, source: QueryLogSource, progress: ProgressCallback | None, total_lines: int | None
    ):
        self.source = source
        self.dialect = source.dialect
        self.progress = progress
        self.total_lines = total_lines
        self.stats = AggregateStats()
        self.shapes: list[_Shape] = []
        self.shape_index: dict[tuple[str, str, str], int] = {}
        self.text_cache: dict[tuple[str, str, str], int] = {}
        self.users: dict[str | None, int] = {}  # as the log spells them -> id
        self.user_names: dict[str, int] = {}  # as stored -> id
        self.buffer: list[tuple[int, datetime, LogRecord]] = []
        # Statements never counted before, added up by (local shape, day ordinal, user):
        # [executions, last run]. Per shape-day and per shape-user figures derive from it.
        self.shape_day_user: dict[tuple[int, int, int], list] = {}
        dedup_days = settings.LEXICON_QUERYLOG_DEDUP_DAYS
        self.cutoff = source.watermark - timedelta(days=dedup_days) if source.watermark else None
        self.newest: datetime | None = source.watermark
        # Every statement counted before started at or before the watermark: newer ones
        # need no lookup in the seen ids, only in the ids this run has counted itself.
        self.start_watermark: datetime | None = source.watermark
        self.counted_now: set[int] = set()
        self.resolver: _Resolver | None = None
        self.ingest_run_id: int | None = None
        self.shape_day: dict[tuple[int, int], list] = {}
        self.shape_user: dict[tuple[int, int], list] = {}
        # New shapes are looked up among stored fingerprints in batches while the log is
        # read, and the unknown ones parsed (in worker processes for big runs) meanwhile.
        self.parser = ShapeParser(settings.LEXICON_QUERYLOG_PARSE_WORKERS)
        self.unchecked: list[int] = []
        self.stored: dict[int, Fingerprint] = {}

    # ------------------------------------------------------------------ reading

    def shape_of(self, record: LogRecord) -> int:
        database = (record.database or self.source.default_database).lower()
        schema = (record.schema or self.source.default_schema).lower()
        cache_key = (record.text, database, schema)
        index = self.text_cache.get(cache_key)
        if index is not None:
            return index
        text = normalise(record.text)
        key = (text, database, schema)
        index = self.shape_index.get(key)
        if index is None:
            index = len(self.shapes)
            self.shapes.append(
                _Shape(
                    fingerprint_key(text, self.dialect, database, schema),
                    text,
                    record.text,
                    database,
                    schema,
                )
            )
            self.shape_index[key] = index
            self.unchecked.append(index)
            if len(self.unchecked) >= 500:
                self.check_shapes()
        if len(self.text_cache) >= _TEXT_CACHE_LIMIT:
            self.text_cache.clear()
        self.text_cache[cache_key] = index
        return index

    def check_shapes(self) -> None:
        """Stored fingerprints of the new shapes seen so far; the others go to the parser."""
        shapes = [self.shapes[i] for i in self.unchecked]
        self.unchecked = []
        if not shapes:
            return
        self.stored.update(
            {f.key: f for f in Fingerprint.objects.filter(key__in=[s.key for s in shapes])}
        )
        self.parser.submit(
            [
                (s.key, s.raw, self.dialect, s.database, s.schema)
                for s in shapes
                if s.key not in self.stored
            ]
        )

    def take(self, items: Iterable[LogRecord | RowError]) -> None:
        stats = self.stats
        step = max(10_000, (self.total_lines or 0) // 50)
        next_report = step
        cutoff = self.cutoff
        buffer = self.buffer
        for item in items:
            if type(item) is RowError:
                stats.malformed += 1
                if len(stats.malformed_rows) < MAX_ERRORS_LISTED:
                    stats.malformed_rows.append({"line": item.line, "message": item.message})
                continue
            stats.rows += 1
            started = item.started_at
            if started.tzinfo is None:
                started = started.replace(tzinfo=UTC)
            if cutoff is not None and started < cutoff:
                stats.too_old += 1
                self._widen(started, started)
                continue
            # Deduplicate first: a statement counted before is not even fingerprinted.
            buffer.append((query_id_key(item.query_id), started, item))
            if len(buffer) >= CHUNK:
                self.flush()
                buffer = self.buffer
            if stats.rows >= next_report:
                next_report += step
                if self.progress and self.total_lines:
                    self.progress(
                        f"reading ({stats.rows:,} statements)",
                        5 + int(60 * min(1, stats.rows / self.total_lines)),
                    )
        self.flush()
        self.check_shapes()

    def _widen(self, first: datetime, last: datetime) -> None:
        stats = self.stats
        if stats.window_start is None or first < stats.window_start:
            stats.window_start = first
        if stats.window_end is None or last > stats.window_end:
            stats.window_end = last

    def flush(self) -> None:
        """Keep the statements whose query id this source has not counted yet, and add them up."""
        if not self.buffer:
            return
        self._widen(min(row[1] for row in self.buffer), max(row[1] for row in self.buffer))
        unique = {row[0]: row for row in self.buffer}
        self.stats.duplicates += len(self.buffer) - len(unique)
        self.buffer = []
        watermark = self.start_watermark
        known = _seen_keys(
            self.source.pk,
            [key for key, row in unique.items() if watermark is not None and row[1] <= watermark],
        )
        counted_now = self.counted_now
        new_rows = [
            row for key, row in unique.items() if key not in known and key not in counted_now
        ]
        counted_now.update(row[0] for row in new_rows)
        self.stats.duplicates += len(unique) - len(new_rows)
        if not new_rows:
            return
        _seen_insert(self.source.pk, [(key, started) for key, started, _item in new_rows])
        self.stats.records += len(new_rows)
        newest = max(row[1] for row in new_rows)
        if self.newest is None or newest > self.newest:
            self.newest = newest
        shape_day_user = self.shape_day_user
        users = self.users
        shape_of = self.shape_of
        executions = 0
        for _key, started, item in new_rows:
            shape = shape_of(item)
            if item.accessed or item.written:
                self.shapes[shape].accessed.update(item.accessed)
                self.shapes[shape].written.update(item.written)
            user = users.get(item.user)
            if (
                user is None
            ):  # one id per stored name: None and "" are one user, as are long names alike to 255
                name = (item.user or "")[:255]
                user = users[item.user] = self.user_names.setdefault(name, len(self.user_names))
            calls = item.calls if item.calls > 1 else 1
            executions += calls
            day = (started.astimezone(UTC) if started.utcoffset() else started).toordinal()
            entry = shape_day_user.get((shape, day, user))
            if entry is None:
                shape_day_user[(shape, day, user)] = [calls, started]
            else:
                entry[0] += calls
                if started > entry[1]:
                    entry[1] = started
        self.stats.executions += executions

    def rollups(self) -> tuple[dict[tuple[int, int], list], dict[tuple[int, int], list]]:
        """Per (shape, day) and per (shape, user): [executions, last run]."""
        shape_day: dict[tuple[int, int], list] = {}
        shape_user: dict[tuple[int, int], list] = {}
        for (shape, day, user), (calls, last) in self.shape_day_user.items():
            self.shapes[shape].statements += calls
            for table, key in ((shape_day, (shape, day)), (shape_user, (shape, user))):
                entry = table.get(key)
                if entry is None:
                    table[key] = [calls, last]
                else:
                    entry[0] += calls
                    if last > entry[1]:
                        entry[1] = last
        return shape_day, shape_user


# ----------------------------------------------------------------------- seen ids


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


# The raw SQL below interpolates only our own models' table and column names (never input);
# values always go as parameters or through COPY.


def _seen_keys(source_id: int, keys: list[int]) -> set[int]:
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
                    f"SELECT key FROM {table} WHERE source_id = %s AND key IN ({', '.join(['%s'] * len(part))})",  # noqa: S608
                    [source_id, *part],
                )
                found.update(k for (k,) in cursor.fetchall())
    return found


def _seen_insert(source_id: int, rows: list[tuple[int, datetime]]) -> None:
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


# ----------------------------------------------------------------------- parsing


def _fingerprints(run: _Run) -> dict[int, Fingerprint]:
    """Fingerprints of this run's shapes: the stored ones, and the new ones parsed (once,
    while the log was being read) and stored now."""
    run.check_shapes()
    results = run.parser.finish()
    by_key = {s.key: s for s in run.shapes}
    parsed = []
    for result in results:
        shape = by_key[result["key"]]
        parsed.append(
            Fingerprint(
                dialect=run.dialect,
                default_database=shape.database,
                default_schema=shape.schema,
                text=shape.text,
                example=redact(shape.raw)[:20000],
                raw_example=shape.raw[:20000] if settings.LEXICON_STORE_RAW_QUERY_TEXT else "",
                **result,
            )
        )
    Fingerprint.objects.bulk_create(parsed, batch_size=1000)
    if parsed and parsed[0].pk is None:  # a database that cannot return ids from bulk inserts
        parsed = list(Fingerprint.objects.filter(key__in=[f.key for f in parsed]))
    stored = run.stored
    stored.update({f.key: f for f in parsed})
    run.stats.fingerprints = len(run.shapes)
    run.stats.fingerprints_new = len(parsed)
    return stored


# ----------------------------------------------------------------------- resolving


class _Resolver:
    """Relation names (db.schema.table, or fewer parts) → asset ids; unknown names become
    warehouse-only assets of the source's project."""

    def __init__(self, source: QueryLogSource):
        self.source = source
        self.full: dict[str, int] = {}
        self.partial: dict[str, int | None] = {}  # schema.table and table → id, None if ambiguous
        self.created: list[int] = []
        self.databases: set[str] = set()
        rows = (
            Asset.objects.exclude(relation_key="")
            .filter(kind__in=_RELATION_KINDS)
            .values_list("relation_key", "id", "removed_at")
            .order_by("id")
        )
        for key, asset_id, removed_at in rows:
            if removed_at is None:  # an active asset wins over a removed one with the same name
                self.full[key] = asset_id
            else:
                self.full.setdefault(key, asset_id)
            parts = key.split(".")
            if len(parts) == 3:
                self.databases.add(parts[0])
            for n in (2, 1):
                if len(parts) > n:
                    short = ".".join(parts[-n:])
                    previous = self.partial.get(short, 0)
                    self.partial[short] = asset_id if previous in (0, asset_id) else None
        self.pending: dict[str, tuple[str, str, str]] = {}

    def qualify(self, name: str, database: str, schema: str) -> str:
        parts = [p for p in name.lower().split(".") if p]
        if not parts:
            return ""
        if len(parts) == 1:
            parts = [
                database or self.source.default_database,
                schema or self.source.default_schema,
                parts[0],
            ]
        elif len(parts) == 2:
            parts = [database or self.source.default_database, *parts]
        return relation_key(*parts[-3:])

    def lookup(self, name: str, database: str, schema: str) -> int | str | None:
        """An asset id, or the relation key of a warehouse asset still to create."""
        if not name or any(ch in name for ch in _UNSAFE_WAREHOUSE_NAMES):
            return None
        lowered = name.lower().strip()
        key = self.qualify(lowered, database, schema)
        for candidate in (lowered, key):
            if candidate in self.full:
                return self.full[candidate]
        # A shorter match only when the database is not one the catalog knows: the same
        # warehouse seen under another name (a dev copy, a PostgreSQL database name that dbt
        # does not use). A known database with an unknown table is a different table.
        named = lowered.split(".")
        if not (len(named) >= 3 and named[-3] in self.databases):
            for candidate in (".".join(named[-2:]), named[-1]) if len(named) > 1 else (lowered,):
                hit = self.partial.get(candidate)
                if hit:
                    return hit
        if not key:
            return None
        parts = key.split(".")
        self.pending[key] = (
            parts[-3] if len(parts) >= 3 else "",
            parts[-2] if len(parts) >= 2 else "",
            parts[-1],
        )
        return key

    def create_pending(self) -> dict[str, int]:
        if not self.pending:
            return {}
        project = _source_project(self.source)
        assets = [
            Asset(
                project=project,
                unique_id=f"warehouse.{key}",
                kind=AssetKind.WAREHOUSE_RELATION,
                name=identifier,
                database=database,
                schema=schema,
                identifier=identifier,
                relation_name=key,
                relation_key=key,
            )
            for key, (database, schema, identifier) in self.pending.items()
        ]
        Asset.objects.bulk_create(assets, batch_size=1000, ignore_conflicts=True)
        ids = dict(
            Asset.objects.filter(
                project=project, unique_id__in=[a.unique_id for a in assets]
            ).values_list("relation_key", "id")
        )
        self.created = list(ids.values())
        self.full.update(ids)
        self.pending = {}
        from catalog.search import search_documents_sync

        search_documents_sync(self.created)
        return ids


_RELATION_KINDS = [
    AssetKind.MODEL,
    AssetKind.SOURCE,
    AssetKind.SEED,
    AssetKind.SNAPSHOT,
    AssetKind.WAREHOUSE_RELATION,
]


def _source_project(source: QueryLogSource) -> Project:
    if source.project_id:
        return source.project
    project, _ = Project.objects.get_or_create(
        name=f"{source.name} (warehouse)", defaults={"dialect": source.dialect}
    )
    QueryLogSource.objects.filter(pk=source.pk).update(project=project)
    source.project = project
    return project


# ----------------------------------------------------------------------- writing


def _resolve_shapes(
    run: _Run, stored: dict[int, Fingerprint]
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Per local shape: asset ids read and asset ids written."""
    resolver = _Resolver(run.source)
    raw_reads: list[list] = []
    raw_writes: list[list] = []
    for shape in run.shapes:
        fp = stored[shape.key]
        reads = set(fp.reads) | shape.accessed
        writes = set(fp.writes) | shape.written
        raw_reads.append([resolver.lookup(n, shape.database, shape.schema) for n in sorted(reads)])
        raw_writes.append(
            [resolver.lookup(n, shape.database, shape.schema) for n in sorted(writes)]
        )
    created = resolver.create_pending()
    run.stats.assets_created = len(created)

    def ids(values: list) -> set[int]:
        return {created.get(v) if isinstance(v, str) else v for v in values} - {None}

    reads_by_shape = {i: ids(r) for i, r in enumerate(raw_reads)}
    writes_by_shape = {i: ids(w) for i, w in enumerate(raw_writes)}
    links = set()
    for i, shape in enumerate(run.shapes):
        fp_id = stored[shape.key].pk
        links.update((fp_id, a, False) for a in reads_by_shape[i])
        links.update((fp_id, a, True) for a in writes_by_shape[i])
    FingerprintAsset.objects.bulk_create(
        [FingerprintAsset(fingerprint_id=f, asset_id=a, writes=w) for f, a, w in links],
        batch_size=2000,
        ignore_conflicts=True,
    )
    run.resolver = resolver
    return reads_by_shape, writes_by_shape


_POSITION = re.compile(r"\s*\(?\bLine \d+, Col: \d+\)?\.?")


def _reason(error: str) -> str:
    """A parse error without its position, so that one cause is counted once."""
    return _POSITION.sub("", error).strip().rstrip(".")[:200] or "cannot analyse SQL"


def _count_unparsable(run: _Run, stored: dict[int, Fingerprint]) -> None:
    reasons: dict[str, dict] = {}
    total = 0
    for shape in run.shapes:
        fp = stored[shape.key]
        if fp.error and shape.statements:
            total += shape.statements
            entry = reasons.setdefault(_reason(fp.error), {"count": 0, "sample": fp.example[:500]})
            entry["count"] += shape.statements
    run.stats.unparsable = total
    run.stats.unparsable_reasons = dict(
        sorted(reasons.items(), key=lambda kv: -kv[1]["count"])[:50]
    )


def _column_ids(asset_ids: set[int]) -> dict[tuple[int, str], int]:
    out: dict[tuple[int, str], int] = {}
    ids = list(asset_ids)
    for start in range(0, len(ids), 2000):
        for asset_id, name_key, column_id in Column.objects.filter(
            asset_id__in=ids[start : start + 2000], removed_at__isnull=True
        ).values_list("asset_id", "name_key", "id"):
            out[(asset_id, name_key)] = column_id
    return out


def _ensure_warehouse_columns(run: _Run, stored, columns_by_asset: dict[int, set[str]]) -> None:
    """Columns referenced on warehouse-only assets are cataloged with them (dbt assets'
    columns belong to dbt ingest and are never created here)."""
    warehouse = set(
        Asset.objects.filter(
            pk__in=list(columns_by_asset), kind=AssetKind.WAREHOUSE_RELATION
        ).values_list("id", flat=True)
    )
    new = [
        Column(asset_id=a, name=name, name_key=name.lower())
        for a in warehouse
        for name in columns_by_asset[a]
    ]
    Column.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)


def _write(
    run: _Run,
    stored: dict[int, Fingerprint],
    reads_by: dict[int, set[int]],
    writes_by: dict[int, set[int]],
) -> None:
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
    column_ids = _column_ids(touched)
    columns_by_asset: dict[int, set[str]] = {}
    shape_columns: dict[int, set[int]] = {}
    for i, shape in enumerate(shapes):
        fp = stored[shape.key]
        found: set[int] = set()
        for table, column in fp.columns:
            asset_id = _asset_of(run, table, shape)
            if asset_id is None:
                continue
            column_id = column_ids.get((asset_id, column.lower()))
            if column_id is None:
                columns_by_asset.setdefault(asset_id, set()).add(column.lower())
            else:
                found.add(column_id)
        for table, column in fp.filters:  # only columns the catalog knows: aliases are not columns
            asset_id = _asset_of(run, table, shape)
            column_id = column_ids.get((asset_id, column.lower())) if asset_id is not None else None
            if column_id is not None:
                found.add(column_id)
        shape_columns[i] = found
    if columns_by_asset:
        _ensure_warehouse_columns(run, stored, columns_by_asset)
        column_ids = _column_ids(touched | set(columns_by_asset))
        for i, shape in enumerate(shapes):
            for table, column in stored[shape.key].columns:
                asset_id = _asset_of(run, table, shape)
                if asset_id is not None and (asset_id, column.lower()) in column_ids:
                    shape_columns[i].add(column_ids[(asset_id, column.lower())])
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


def _asset_of(run: _Run, table: str, shape: _Shape) -> int | None:
    resolver: _Resolver = run.resolver
    hit = resolver.lookup(table, shape.database, shape.schema)
    return hit if isinstance(hit, int) else None


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


def _dml_edges(run: _Run, stored, reads_by, writes_by) -> int:
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
            down_asset = _asset_of(run, target_table, shape)
            if down_asset is not None:
                wanted_columns[(down_asset, target_column.lower())] = None
                for table, column in sources:
                    up_asset = _asset_of(run, table, shape)
                    if up_asset is not None:
                        wanted_columns[(up_asset, column.lower())] = None
    _ensure_warehouse_columns(
        run,
        stored,
        {a: {c for (x, c) in wanted_columns if x == a} for a in {a for a, _c in wanted_columns}},
    )
    columns = _column_ids({a for a, _c in wanted_columns})
    for i in dml_shapes:
        shape = run.shapes[i]
        for target_table, target_column, kind, sources in stored[shape.key].lineage:
            down_asset = _asset_of(run, target_table, shape)
            down = columns.get((down_asset, target_column.lower())) if down_asset else None
            if down is None:
                continue
            for table, column in sources:
                up_asset = _asset_of(run, table, shape)
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


# ----------------------------------------------------------------------- entry point


def querylog_aggregate(
    *,
    source: QueryLogSource,
    items: Iterable[LogRecord | RowError],
    progress: ProgressCallback | None = None,
    total_lines: int | None = None,
    ingest_run_id: int | None = None,
) -> AggregateStats:
    """Count ``items`` into the usage of ``source``'s assets. Call inside a transaction:
    everything it writes (seen ids, fingerprints, aggregates, assets, edges, watermark)
    belongs to one run and must commit or roll back together."""
    run = _Run(source, progress, total_lines)
    run.ingest_run_id = ingest_run_id
    timings = run.stats.timings
    clock = time.perf_counter()
    run.take(items)
    run.shape_day, run.shape_user = run.rollups()
    timings["read_fingerprint_dedup"] = round(time.perf_counter() - clock, 2)
    clock = time.perf_counter()
    if progress:
        progress("parsing new statement shapes", 65)
    stored = _fingerprints(run)
    timings["parse"] = round(time.perf_counter() - clock, 2)
    clock = time.perf_counter()
    _count_unparsable(run, stored)
    if progress:
        progress("resolving tables to assets", 80)
    reads_by, writes_by = _resolve_shapes(run, stored)
    timings["resolve"] = round(time.perf_counter() - clock, 2)
    clock = time.perf_counter()
    if progress:
        progress("writing usage", 88)
    _write(run, stored, reads_by, writes_by)
    if run.newest and run.newest != source.watermark:
        source.watermark = run.newest
        QueryLogSource.objects.filter(pk=source.pk).update(watermark=run.newest)
        SeenQuery.objects.filter(
            source=source,
            started_at__lt=run.newest - timedelta(days=settings.LEXICON_QUERYLOG_DEDUP_DAYS),
        ).delete()
    timings["aggregate_write"] = round(time.perf_counter() - clock, 2)
    return run.stats
