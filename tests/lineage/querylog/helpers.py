"""Small query-log exports for tests: Snowflake QUERY_HISTORY CSV with its own column names."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from catalog.models import IngestRun
from lineage.services import querylog_run_create_from_path, querylog_run_execute

HEADER = [
    "QUERY_ID",
    "QUERY_TEXT",
    "DATABASE_NAME",
    "SCHEMA_NAME",
    "QUERY_TYPE",
    "USER_NAME",
    "ROLE_NAME",
    "EXECUTION_STATUS",
    "START_TIME",
    "TOTAL_ELAPSED_TIME",
    "ROWS_PRODUCED",
]


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def row(
    query_id: str,
    text: str,
    user: str = "ALICE",
    when: datetime | None = None,
    database: str = "SAAS",
    schema: str = "MARTS",
    query_type: str = "SELECT",
) -> list[str]:
    when = when or at(20)
    return [
        query_id,
        text,
        database,
        schema,
        query_type,
        user,
        "ANALYST",
        "SUCCESS",
        when.strftime("%Y-%m-%d %H:%M:%S.%f +0000"),
        "120",
        "10",
    ]


def write_log(path: Path, rows: list[list[str]], extra_lines: list[str] = ()) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
        for line in extra_lines:
            handle.write(line + "\n")
    return path


def ingest_log(path: Path, source: str = "snow", fmt: str = "", **extras) -> IngestRun:
    run = querylog_run_create_from_path(path=path, source_name=source, fmt=fmt, extras=extras)
    return querylog_run_execute(run_id=run.pk)


def ingest_log_ok(path: Path, source: str = "snow", **kwargs) -> IngestRun:
    run = ingest_log(path, source, **kwargs)
    assert run.status == IngestRun.Status.SUCCEEDED, run.error
    return run
