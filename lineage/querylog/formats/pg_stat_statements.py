"""``pg_stat_statements`` as a row format: a CSV (or JSON lines) export of the view, and the
one normalisation the live puller reuses (``record_from_row``).

Columns as the view names them: userid, dbid, queryid, query, calls, total_exec_time (ms;
``total_time`` before PostgreSQL 13), rows, ... plus ``usename`` (or ``rolname``) /
``datname`` when the export joined pg_roles / pg_database. The view has no time of execution: a
``captured_at`` (or ``snapshot_time``) column says when the snapshot was taken; without it
the file's modification time stands in. A record stands for ``calls`` executions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import _common as c
from .base import Detection, LogRecord, RowError

VIEW = c.Signature(
    "PostgreSQL pg_stat_statements export",
    required=["queryid", "query", "calls"],
    typical=[
        "userid", "usename", "rolname", "dbid", "datname", "toplevel", "queryid", "query", "plans",
        "total_plan_time", "calls", "total_exec_time", "total_time", "min_exec_time",
        "max_exec_time", "mean_exec_time", "stddev_exec_time", "rows", "shared_blks_hit",
        "shared_blks_read", "temp_blks_written", "wal_records", "stats_since",
    ],
)  # fmt: skip

CAPTURE_COLUMNS = ("captured_at", "snapshot_time", "collected_at", "pulled_at")
COLUMNS = (
    "userid", "usename", "rolname", "dbid", "datname", "queryid", "query", "calls",
    "total_exec_time", "total_time", "rows", *CAPTURE_COLUMNS,
)  # fmt: skip


class PgStatStatementsReader:
    name = "pg_stat_statements"
    label = "PostgreSQL pg_stat_statements (CSV or JSONL export of the view)"
    looks_like = "PostgreSQL pg_stat_statements export"
    dialect = "postgres"
    extras_roles: dict[str, str] = {}

    def sniff(self, head: str, filename: str) -> Detection:
        return VIEW.sniff(head, self.name)

    def read(
        self, path: Path, *, extras: Mapping[str, Path] | None = None
    ) -> Iterator[LogRecord | RowError]:
        path = Path(path)
        c.require_columns(path, VIEW, what=path.name)
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        return self._read(path, mtime)

    def _read(self, path: Path, mtime: datetime) -> Iterator[LogRecord | RowError]:
        def convert(values: tuple[Any, ...], line: int) -> LogRecord | RowError | None:
            row = dict(zip(COLUMNS, values, strict=True))
            stamp = next((row[k] for k in CAPTURE_COLUMNS if row.get(k) not in (None, "")), None)
            if stamp is not None:
                captured = c.parse_timestamp(stamp, column="captured_at")
                return record_from_row(row, captured_at=captured, line=line)
            # Without a capture time the id must not depend on the file's mtime, or the
            # same snapshot uploaded twice would count twice.
            return record_from_row(row, captured_at=mtime, line=line, stamp_id=False)

        return c.iter_records(path, COLUMNS, convert, what=path.name)


def record_from_row(
    row: Mapping[str, Any],
    *,
    captured_at: datetime,
    line: int = 0,
    calls: int | None = None,
    stamp_id: bool = True,
) -> LogRecord | RowError | None:
    """One pg_stat_statements row (keys as the view names them) as a record.

    ``calls`` overrides the row's cumulative ``calls`` (the live puller passes the delta
    since its last pull). The query id is ``userid:dbid:queryid`` — the view's own key —
    followed by ``@`` and the capture time (``20261120T120000.000000``) when ``stamp_id``,
    so each pull's delta is a distinct record while re-reading the same snapshot is not;
    ``lineage.querylog.live`` builds its ids the same way. ``duration_ms`` is the mean per
    call."""
    queryid = c.text_value(row.get("queryid")).strip()
    if not queryid:
        return RowError(line, "queryid is missing")
    text = row.get("query")
    if not text or not isinstance(text, str) or not text.strip():
        return RowError(line, f"query is missing (queryid {queryid})")
    db = c.text_value(
        row.get("dbid") if row.get("dbid") not in (None, "") else row.get("datname")
    ).strip()
    user_key = c.text_value(
        row.get("userid") if row.get("userid") not in (None, "") else row.get("usename")
    ).strip()
    query_id = f"{user_key}:{db}:{queryid}"
    if stamp_id:
        query_id += "@" + _stamp(captured_at)
    user = c.text_value(row.get("usename") or row.get("rolname")).strip() or (
        f"userid:{user_key}" if user_key else ""
    )
    database = c.text_value(row.get("datname")).strip() or (f"dbid:{db}" if db else "")
    row_calls = c.int_value(row.get("calls"), column="calls") or 0
    if calls is None:
        calls = row_calls
    if calls <= 0:
        return None  # nothing ran (a reset counter, or no calls since the last pull)
    total = row.get("total_exec_time")
    if total in (None, ""):
        total = row.get("total_time")
    total_ms = c.float_value(total, column="total_exec_time")
    if captured_at.tzinfo is None:
        captured_at = captured_at.replace(tzinfo=UTC)
    return LogRecord(
        query_id=query_id,
        text=text,
        started_at=captured_at.astimezone(UTC),
        user=user,
        database=database,
        schema="",
        statement_type=c.first_keyword(text),
        succeeded=True,
        duration_ms=total_ms / row_calls if total_ms is not None and row_calls else None,
        rows=c.int_value(row.get("rows"), column="rows"),
        calls=calls,
        line=line,
    )


@functools.lru_cache(maxsize=64)
def _stamp(captured_at: datetime) -> str:
    # One capture time for every row of a snapshot: format it once.
    return captured_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%f")


READER = PgStatStatementsReader()
