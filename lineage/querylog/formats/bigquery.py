"""BigQuery ``INFORMATION_SCHEMA.JOBS`` exports (CSV with a header, or JSON lines).

Columns as BigQuery names them: job_id, creation_time, start_time, end_time, project_id,
user_email, job_type, statement_type, query, state, error_result, total_slot_ms,
referenced_tables, destination_table, default_dataset. The RECORD columns
(``referenced_tables``: array of ``{project_id, dataset_id, table_id}``,
``destination_table``, ``error_result``) are nested objects in JSON lines and JSON strings in
a CSV (BigQuery cannot write nested columns to CSV, so exports use ``TO_JSON_STRING``).
Jobs that are not queries (LOAD, EXTRACT, COPY) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from . import _common as c
from .base import Detection, LogRecord, RowError

JOBS = c.Signature(
    "BigQuery INFORMATION_SCHEMA.JOBS export",
    required=["job_id", "query", ("creation_time", "start_time")],
    typical=[
        "job_id", "creation_time", "project_id", "project_number", "user_email", "job_type",
        "statement_type", "priority", "start_time", "end_time", "query", "state",
        "reservation_id", "total_bytes_processed", "total_slot_ms", "error_result",
        "cache_hit", "destination_table", "referenced_tables", "labels", "total_bytes_billed",
        "transaction_id", "parent_job_id", "session_info", "dml_statistics",
    ],
)  # fmt: skip


class BigQueryReader:
    name = "bigquery"
    label = "BigQuery INFORMATION_SCHEMA.JOBS (CSV or JSONL)"
    looks_like = "BigQuery INFORMATION_SCHEMA.JOBS export"
    dialect = "bigquery"
    extras_roles: dict[str, str] = {}

    def sniff(self, head: str, filename: str) -> Detection:
        return JOBS.sniff(head, self.name)

    def read(
        self, path: Path, *, extras: Mapping[str, Path] | None = None
    ) -> Iterator[LogRecord | RowError]:
        path = Path(path)
        c.require_columns(path, JOBS, what=path.name)
        return c.iter_records(path, COLUMNS, _convert, what=path.name)


COLUMNS = (
    "job_type", "job_id", "query", "start_time", "creation_time", "end_time", "error_result",
    "state", "default_dataset", "project_id", "referenced_tables", "destination_table",
    "user_email", "statement_type",
)  # fmt: skip


def _convert(values: tuple[Any, ...], line: int) -> LogRecord | RowError | None:
    (job_type, job_id, text, start_raw, created_raw, end_raw, error_raw, state, default_raw,
     project, referenced, destination, user, statement_type) = values  # fmt: skip
    if job_type and c.text_value(job_type).upper() != "QUERY":
        return None
    job_id = c.text_value(job_id).strip()
    if not job_id:
        return RowError(line, "job_id is missing")
    if not text or not isinstance(text, str) or not text.strip():
        return RowError(line, f"query is missing (job {job_id})")
    if start_raw not in (None, ""):
        started = c.parse_timestamp(start_raw, column="start_time")
    else:
        started = c.parse_timestamp(created_raw, column="creation_time")
    duration = None
    if end_raw not in (None, "") and start_raw not in (None, ""):
        duration = (c.parse_timestamp(end_raw, column="end_time") - started).total_seconds() * 1000
    error = c.json_value(error_raw, column="error_result")
    default = c.json_value(default_raw, column="default_dataset")
    project = c.text_value(project)
    schema = ""
    if isinstance(default, dict):
        schema = c.text_value(default.get("dataset_id"))
        project = project or c.text_value(default.get("project_id"))
    accessed = tuple(dict.fromkeys(_tables(referenced, "referenced_tables")))
    written = tuple(t for t in _tables(destination, "destination_table") if not _anonymous(t))
    return LogRecord(
        query_id=job_id,
        text=text,
        started_at=started,
        user=c.text_value(user),
        database=project,
        schema=schema,
        statement_type=c.text_value(statement_type).upper(),
        succeeded=not error and c.text_value(state).upper() in ("", "DONE"),
        duration_ms=duration,
        rows=None,
        accessed=accessed,
        written=written,
        line=line,
    )


# CSV cells repeat the same JSON text for every run of a query shape: decode it once.
_TABLES_SEEN: dict[tuple[str, str], list[str]] = {}


def _tables(value: Any, column: str) -> list[str]:
    """ "project.dataset.table" names from a table RECORD or an array of them. The list
    returned may be shared: callers must not change it."""
    if value.__class__ is not str:
        return _decode_tables(value, column)
    key = (value, column)
    hit = _TABLES_SEEN.get(key)
    if hit is None:
        hit = _decode_tables(value, column)
        if len(_TABLES_SEEN) >= 20_000:
            _TABLES_SEEN.clear()
        _TABLES_SEEN[key] = hit
    return hit


def _decode_tables(value: Any, column: str) -> list[str]:
    data = c.json_value(value, column=column)
    if data is None:
        return []
    items = data if isinstance(data, list) else [data]
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(
                f"{column} holds {type(item).__name__}, "
                f"expected {{project_id, dataset_id, table_id}}"
            )
        table = c.text_value(item.get("table_id"))
        if not table:
            continue
        parts = [c.text_value(item.get("project_id")), c.text_value(item.get("dataset_id")), table]
        out.append(".".join(p for p in parts if p))
    return out


def _anonymous(table: str) -> bool:
    # Query results land in hidden datasets whose names start with "_" (e.g. "_8b03..."),
    # and in tables named "anon...": not a write anyone cares about.
    parts = table.split(".")
    return (len(parts) >= 2 and parts[-2].startswith("_")) or parts[-1].startswith("anon")


READER = BigQueryReader()
