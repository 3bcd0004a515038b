"""The demo query log moved to the present, for the demo (``load_demo``).

``examples/demo_querylog/snowflake_query_history.csv`` covers the 30 days before the day it was
generated. Loaded as it is, weeks later, every Usage tab would chart a month that ended long ago
and the unused-assets report would list nearly everything. The demo copies it with its start
and end times moved by a whole number of days (so office hours stay office hours) until its last
day is today; statements of today still in the future are left out, as a live log would not have
them yet.

Loaded again later, the log is replayed as one that kept running: only the statements after what
the source already counted (its watermark) are written, under query ids of their own, so no
statement is ever counted twice and usage does not double.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

QUERYLOG_QUANTUM = timedelta(days=1)
SNOWFLAKE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f %z"


def parse_log_time(value: str) -> datetime | None:
    """A Snowflake export's ``2026-10-21 00:41:41.780 +0000`` (or ISO 8601), aware."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.strptime(value, SNOWFLAKE_TIME_FORMAT)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_log_time(value: datetime) -> str:
    """The Snowflake export format, milliseconds and a numeric offset."""
    return (
        value.strftime("%Y-%m-%d %H:%M:%S.")
        + f"{value.microsecond // 1000:03d} "
        + value.strftime("%z")
    )


@dataclass(frozen=True)
class ShiftedLog:
    """What ``shift_query_history`` wrote: rows kept, rows left out (already counted by an earlier
    load, or later than now), the offset, and the newest start time written."""

    path: Path
    rows: int
    counted_before: int
    in_future: int
    offset: timedelta
    newest_written: datetime | None


def querylog_offset(newest: datetime, now: datetime, quantum: timedelta) -> timedelta:
    """The whole number of ``quantum`` that moves ``newest`` into ``[now, now + quantum)``, so
    that the log's last stretch (its last day) is the present one; zero if it is already there."""
    steps = -((newest - now) // quantum)  # ceiling of (now - newest) / quantum
    return quantum * max(0, steps)


def shift_query_history(
    source: Path,
    dest: Path,
    *,
    now: datetime,
    after: datetime | None = None,
    quantum: timedelta = QUERYLOG_QUANTUM,
    id_column: str = "QUERY_ID",
    time_columns: tuple[str, ...] = ("START_TIME", "END_TIME"),
) -> ShiftedLog:
    """Copy the CSV query history ``source`` to ``dest`` with its times moved so that its newest
    start time lands within ``quantum`` after ``now`` (``querylog_offset``).

    Rows whose moved start time is later than ``now`` are left out (a later load writes them),
    and so are those at or before ``after`` (the source's watermark: what an earlier load
    counted). The others get the query id ``<id>~<days>`` when the offset is not zero, so that a
    row replayed at another offset is another statement to the dedup.
    """
    start_column = time_columns[0]
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fieldnames = list(reader.fieldnames or [])
        rows = list(reader)
    starts = [
        t for t in (parse_log_time(row.get(start_column) or "") for row in rows) if t is not None
    ]
    offset = querylog_offset(max(starts), now, quantum) if starts else timedelta(0)
    suffix = f"~{offset.days}" if offset else ""
    kept = counted_before = in_future = 0
    newest_written: datetime | None = None
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            for column in time_columns:
                moment = parse_log_time(row.get(column) or "")
                if moment is not None:
                    row[column] = format_log_time(moment + offset)
            started = parse_log_time(row.get(start_column) or "")
            if started is not None and started > now:
                in_future += 1
                continue
            if after is not None and started is not None and started <= after:
                counted_before += 1
                continue
            if suffix and row.get(id_column):
                row[id_column] = row[id_column] + suffix
            writer.writerow(row)
            kept += 1
            if started is not None and (newest_written is None or started > newest_written):
                newest_written = started
    return ShiftedLog(
        path=dest,
        rows=kept,
        counted_before=counted_before,
        in_future=in_future,
        offset=offset,
        newest_written=newest_written,
    )
