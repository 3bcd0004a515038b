"""The interface every query-log reader implements.

A reader turns one export (a file, or a live pull) into ``LogRecord``s in file order,
and reports rows it cannot read as ``RowError``s instead of raising, so one bad row
never stops a run. A file that is not in the reader's format at all raises
``WrongFormat`` before any record is yielded, with what it looks like instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol


@dataclass(slots=True)
class LogRecord:
    """One executed statement (or, for aggregated sources, ``calls`` executions of it)."""

    query_id: str  # the warehouse's id; the key that makes re-ingest idempotent
    text: str  # full statement text (chunks already joined); may hold literals
    started_at: datetime  # timezone-aware
    user: str = ""  # user name or email, as the warehouse reports it
    database: str = ""  # session's default database / BigQuery project
    schema: str = ""  # session's default schema / dataset
    statement_type: str = ""  # as reported, upper case: SELECT, INSERT, MERGE, ...
    succeeded: bool = True
    duration_ms: float | None = None
    rows: int | None = None
    calls: int = 1  # executions this record stands for (pg_stat_statements deltas)
    accessed: tuple[str, ...] = ()  # objects the warehouse says were read, "db.schema.table"
    written: tuple[str, ...] = ()  # objects written (destination table), "db.schema.table"
    line: int = 0  # line (or row) number in the source file, for messages
    # columns the warehouse says were read, "db.schema.table.column" (Snowflake ACCESS_HISTORY)
    accessed_columns: tuple[str, ...] = ()


@dataclass(slots=True)
class RowError:
    line: int
    message: str


class WrongFormat(ValueError):
    """The file is not in this format; the message says which format it looks like."""


@dataclass(slots=True)
class Detection:
    format: str | None  # reader name, or None when nothing matches
    confidence: float  # 0..1
    reason: str = ""


class Reader(Protocol):
    name: str  # "snowflake", "bigquery", "redshift", "postgres_csvlog", ...
    label: str  # for people: "Snowflake QUERY_HISTORY (CSV or JSONL)"
    dialect: str  # sqlglot dialect of the statements

    def sniff(self, head: str, filename: str) -> Detection:
        """How sure this reader is that a file starting with ``head`` is its format."""
        ...

    def read(
        self, path: Path, *, extras: Mapping[str, Path] | None = None
    ) -> Iterator[LogRecord | RowError]:
        """Records and row errors in file order. ``extras`` holds companion files by role
        (e.g. ``{"access_history": path}`` for Snowflake, ``{"query_text": path}`` for
        Redshift)."""
        ...


@dataclass(slots=True)
class ReadSummary:
    rows: int = 0
    records: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first 50 only
    error_count: int = 0
