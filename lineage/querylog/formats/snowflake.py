"""Snowflake ``ACCOUNT_USAGE.QUERY_HISTORY`` exports (CSV with a header, or JSON lines),
optionally joined with an ``ACCESS_HISTORY`` export by ``QUERY_ID``.

Column names are Snowflake's own (any case): QUERY_ID, QUERY_TEXT, DATABASE_NAME,
SCHEMA_NAME, QUERY_TYPE, USER_NAME, EXECUTION_STATUS, START_TIME, TOTAL_ELAPSED_TIME (ms),
ROWS_PRODUCED, ... ACCESS_HISTORY gives what the query really read
(BASE_OBJECTS_ACCESSED, else DIRECT_OBJECTS_ACCESSED) and wrote (OBJECTS_MODIFIED), each a
JSON array of ``{objectName, objectDomain, columns: [{columnName}]}``. An export that joined
the two views in one query (those three columns inline) is read the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from . import _common as c
from .base import Detection, LogRecord, RowError

QUERY_HISTORY = c.Signature(
    "Snowflake QUERY_HISTORY export",
    required=["query_id", "query_text", "start_time", "user_name"],
    typical=[
        "query_id", "query_text", "database_name", "schema_name", "query_type", "session_id",
        "user_name", "role_name", "warehouse_name", "warehouse_size", "query_tag",
        "execution_status", "error_code", "error_message", "start_time", "end_time",
        "total_elapsed_time", "bytes_scanned", "rows_produced",
    ],
)  # fmt: skip

ACCESS_HISTORY = c.Signature(
    "Snowflake ACCESS_HISTORY export",
    required=["query_id", ("base_objects_accessed", "direct_objects_accessed", "objects_modified")],
    typical=[
        "query_id", "query_start_time", "user_name", "direct_objects_accessed",
        "base_objects_accessed", "objects_modified", "object_modified_by_ddl",
        "policies_referenced", "parent_query_id", "root_query_id",
    ],
)  # fmt: skip

# Object domains that are relations (stages, functions and procedures are not assets).
RELATION_DOMAINS = frozenset(
    {"table", "view", "materialized view", "external table", "dynamic table", "iceberg table",
     "event table", "secure view", "stream"}
)  # fmt: skip

# EXECUTION_STATUS values: SUCCESS, FAIL, INCIDENT, RUNNING, QUEUED, BLOCKED, ...
FAILED = frozenset({"FAIL", "FAILED", "INCIDENT", "FAILED_WITH_ERROR", "FAILED_WITH_INCIDENT"})

Access = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # accessed, written, columns


class SnowflakeReader:
    name = "snowflake"
    label = "Snowflake QUERY_HISTORY (CSV or JSONL)"
    dialect = "snowflake"
    looks_like = "Snowflake QUERY_HISTORY export"
    extras_roles = {
        "access_history": "Snowflake ACCESS_HISTORY export (CSV or JSONL), joined by QUERY_ID"
    }

    def sniff(self, head: str, filename: str) -> Detection:
        return QUERY_HISTORY.sniff(head, self.name)

    def read(
        self, path: Path, *, extras: Mapping[str, Path] | None = None
    ) -> Iterator[LogRecord | RowError]:
        what = Path(path).name
        c.require_columns(path, QUERY_HISTORY, what=what)
        access_path = c.mapping_or_empty(extras).get("access_history")
        if access_path is not None:
            c.require_columns(access_path, ACCESS_HISTORY, what=Path(access_path).name)
        return self._read(Path(path), access_path)

    def _read(self, path: Path, access_path: Path | None) -> Iterator[LogRecord | RowError]:
        access: dict[str, Access] = {}
        if access_path is not None:
            # The companion is held in memory by QUERY_ID; most queries touch the same few
            # object sets, so equal tuples are stored once.
            shared: dict[Access, Access] = {}
            for item in _load_access(Path(access_path)):
                if isinstance(item, RowError):
                    yield item
                else:
                    access[item[0]] = shared.setdefault(item[1], item[1])
            shared.clear()
        convert = _converter(access)
        yield from c.iter_records(path, COLUMNS, convert, what=path.name)


COLUMNS = (
    "query_id", "query_text", "start_time", "user_name", "database_name", "schema_name",
    "query_type", "execution_status", "total_elapsed_time", "rows_produced",
    # an export that joined ACCESS_HISTORY in the same query carries its columns inline
    "base_objects_accessed", "direct_objects_accessed", "objects_modified",
)  # fmt: skip


# The hot loop builds LogRecords positionally (measurably faster than keywords): fail at
# import, not silently, if base.LogRecord's field order ever changes.
_POSITIONAL = (
    "query_id", "text", "started_at", "user", "database", "schema", "statement_type",
    "succeeded", "duration_ms", "rows", "calls", "accessed", "written", "line", "accessed_columns",
)  # fmt: skip
if tuple(f.name for f in fields(LogRecord))[: len(_POSITIONAL)] != _POSITIONAL:
    raise ImportError("lineage.querylog.formats.snowflake: LogRecord's field order changed")


def _converter(access: dict[str, Access]):
    parse_ts = c.parse_timestamp
    as_text = c.text_value

    def convert(values: tuple[Any, ...], line: int) -> LogRecord | RowError:
        (query_id, text, start, user, database, schema, qtype, status, elapsed, rows,
         base, direct, modified) = values  # fmt: skip
        if query_id.__class__ is not str:
            query_id = as_text(query_id)
        if not query_id or query_id.isspace():
            return RowError(line, "QUERY_ID is missing")
        if not text or text.__class__ is not str or text.isspace():
            return RowError(line, f"QUERY_TEXT is missing (query {query_id})")
        started = parse_ts(start, column="START_TIME")
        if not (
            user.__class__
            is database.__class__
            is schema.__class__
            is qtype.__class__
            is status.__class__
            is str
        ):
            user, database, schema, qtype, status = map(
                as_text, (user, database, schema, qtype, status)
            )
        try:
            duration = float(elapsed) if elapsed not in (None, "") else None
        except (TypeError, ValueError):
            raise ValueError(f"TOTAL_ELAPSED_TIME {elapsed!r} is not a number") from None
        try:
            produced = int(rows) if rows not in (None, "") else None
        except (TypeError, ValueError):
            produced = c.int_value(rows, column="ROWS_PRODUCED")  # "12.0" still reads
        seen = access.get(query_id) if access else None
        if seen is None and (base or direct or modified):
            seen = _access_of(base, direct, modified)
        return LogRecord(
            query_id,
            text,
            started,
            user,
            database,
            schema,
            qtype.upper(),
            status.upper() not in FAILED,
            duration,
            produced,
            1,
            seen[0] if seen else (),
            seen[1] if seen else (),
            line,
            seen[2] if seen else (),
        )

    return convert


def _load_access(path: Path) -> Iterator[tuple[str, Access] | RowError]:
    """(QUERY_ID, (accessed, written, columns)) per ACCESS_HISTORY row; row errors name the
    companion file so they are not mistaken for QUERY_HISTORY lines."""
    name = path.name
    # Repeated query shapes repeat the same JSON text: decode each distinct text once.
    decoded: dict[tuple[Any, Any, Any], Access] = {}
    for line, row, error in c.iter_rows(path, what=name):
        if error is not None:
            yield RowError(line, f"{name} line {line}: {error}")
            continue
        assert row is not None
        query_id = c.text_value(row.get("query_id")).strip()
        if not query_id:
            yield RowError(line, f"{name} line {line}: QUERY_ID is missing")
            continue
        raw = (
            row.get("base_objects_accessed"),
            row.get("direct_objects_accessed"),
            row.get("objects_modified"),
        )
        cacheable = all(v is None or isinstance(v, str) for v in raw)
        access = decoded.get(raw) if cacheable else None  # type: ignore[arg-type]
        if access is None:
            try:
                access = _access_of(*raw)
            except ValueError as exc:
                yield RowError(line, f"{name} line {line}: {exc}")
                continue
            if cacheable:
                if len(decoded) >= 20_000:
                    decoded.clear()
                decoded[raw] = access
        yield query_id, access


def _access_of(base_raw: Any, direct_raw: Any, modified_raw: Any) -> Access:
    base = _objects(base_raw, "BASE_OBJECTS_ACCESSED")
    direct = _objects(direct_raw, "DIRECT_OBJECTS_ACCESSED")
    modified = _objects(modified_raw, "OBJECTS_MODIFIED")
    # Base objects are what the query really read through views; fall back to direct.
    read = base or direct
    accessed = tuple(dict.fromkeys(obj for obj, _ in read))
    columns = tuple(dict.fromkeys(f"{obj}.{col}" for obj, cols in read for col in cols))
    written = tuple(dict.fromkeys(obj for obj, _ in modified))
    return accessed, written, columns


def _objects(value: Any, column: str) -> list[tuple[str, list[str]]]:
    data = c.json_value(value, column=column)
    if data is None:
        return []
    if not isinstance(data, list):
        raise ValueError(f"{column} is not a JSON array")
    out: list[tuple[str, list[str]]] = []
    for item in data:
        if not isinstance(item, dict):
            raise ValueError(f"{column} holds {type(item).__name__}, expected objects")
        name = item.get("objectName")
        domain = str(item.get("objectDomain") or "table").lower()
        if not name or domain not in RELATION_DOMAINS:
            continue
        cols = [
            str(col.get("columnName"))
            for col in item.get("columns") or ()
            if isinstance(col, dict) and col.get("columnName")
        ]
        out.append((str(name), cols))
    return out


READER = SnowflakeReader()
