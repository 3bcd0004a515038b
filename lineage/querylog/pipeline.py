"""The query-log pipeline: records → fingerprints → one parse per shape → assets → usage.

``querylog_aggregate`` consumes a reader's records and row errors and writes, in the
caller's transaction, everything a run changes: seen query ids, fingerprints, usage
aggregates, warehouse-only assets, lineage edges from DML and popularity. Rows are
handled in chunks so that a million-row log needs little memory; the aggregates are
added to the stored ones only for query ids never counted before, which makes
re-ingesting a file, or an overlapping window, change nothing.

This module reads and counts (batching, deduplication, progress) and runs the steps;
``resolve`` turns the statements' tables and columns into catalog ids and ``write`` does
the bulk writes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings

from catalog.progress import ProgressCallback
from lineage.models import Fingerprint, QueryLogSource, SeenQuery
from lineage.querylog.fingerprint import fingerprint_key, normalise, query_id_key, redact
from lineage.querylog.formats.base import LogRecord, RowError
from lineage.querylog.parsing import ShapeParser
from lineage.querylog.resolve import Resolver, resolve_shapes
from lineage.querylog.write import seen_insert, seen_keys, usage_write

CHUNK = 50_000
MAX_ERRORS_LISTED = 50
_TEXT_CACHE_LIMIT = 200_000  # raw text → fingerprint, for logs that repeat statements verbatim


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
class Shape:
    """A fingerprint of this run: its key and the first raw statement (parsed if new)."""

    key: int
    text: str
    raw: str
    database: str
    schema: str
    accessed: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)
    statements: int = 0


class AggregateRun:
    """The state of one ``querylog_aggregate`` call: the shapes seen, the users, and the
    statements never counted before, added up by shape, day and user."""

    def __init__(
        self, source: QueryLogSource, progress: ProgressCallback | None, total_lines: int | None
    ):
        self.source = source
        self.dialect = source.dialect
        self.progress = progress
        self.total_lines = total_lines
        self.stats = AggregateStats()
        self.shapes: list[Shape] = []
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
        self.resolver: Resolver | None = None
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
                Shape(
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
        known = seen_keys(
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
        seen_insert(self.source.pk, [(key, started) for key, started, _item in new_rows])
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


# ----------------------------------------------------------------------- parsing


def _fingerprints(run: AggregateRun) -> dict[int, Fingerprint]:
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


_POSITION = re.compile(r"\s*\(?\bLine \d+, Col: \d+\)?\.?")


def _reason(error: str) -> str:
    """A parse error without its position, so that one cause is counted once."""
    return _POSITION.sub("", error).strip().rstrip(".")[:200] or "cannot analyse SQL"


def _count_unparsable(run: AggregateRun, stored: dict[int, Fingerprint]) -> None:
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
    run = AggregateRun(source, progress, total_lines)
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
    reads_by, writes_by = resolve_shapes(run, stored)
    timings["resolve"] = round(time.perf_counter() - clock, 2)
    clock = time.perf_counter()
    if progress:
        progress("writing usage", 88)
    usage_write(run, stored, reads_by, writes_by)
    if run.newest and run.newest != source.watermark:
        source.watermark = run.newest
        QueryLogSource.objects.filter(pk=source.pk).update(watermark=run.newest)
        SeenQuery.objects.filter(
            source=source,
            started_at__lt=run.newest - timedelta(days=settings.LEXICON_QUERYLOG_DEDUP_DAYS),
        ).delete()
    timings["aggregate_write"] = round(time.perf_counter() - clock, 2)
    return run.stats
