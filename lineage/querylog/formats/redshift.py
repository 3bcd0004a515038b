"""Redshift ``SYS_QUERY_HISTORY`` exports (CSV with a header, or JSON lines), with the
``SYS_QUERY_TEXT`` export as companion ``query_text`` to rebuild long statements.

SYS_QUERY_HISTORY's ``query_text`` is cut at 4,000 characters; SYS_QUERY_TEXT holds the
whole statement as ``(query_id, sequence, text)`` chunks of up to 4,000 characters, which
are joined in ``sequence`` order. Columns: user_id, query_id, transaction_id, session_id,
database_name, query_type, status, start_time, end_time, elapsed_time (microseconds),
returned_rows, query_text, ... A ``usename`` column (from a join with PG_USER) gives the
user name; without it the user is ``user_id:N``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from . import _common as c
from .base import Detection, LogRecord, RowError

QUERY_HISTORY = c.Signature(
    "Redshift SYS_QUERY_HISTORY export",
    required=["query_id", "query_text", "start_time", ("user_id", "usename")],
    typical=[
        "user_id", "query_id", "query_label", "transaction_id", "session_id", "database_name",
        "query_type", "status", "result_cache_hit", "start_time", "end_time", "elapsed_time",
        "queue_time", "execution_time", "error_message", "returned_rows", "returned_bytes",
        "query_text", "redshift_version", "compute_type", "compile_time", "planning_time",
        "lock_wait_time",
    ],
)  # fmt: skip

QUERY_TEXT = c.Signature(
    "Redshift SYS_QUERY_TEXT export",
    required=["query_id", "sequence", "text"],
    typical=[
        "user_id",
        "query_id",
        "transaction_id",
        "session_id",
        "start_time",
        "sequence",
        "text",
    ],
)

# status: planning, queued, running, returning, failed, canceled, success
FAILED = frozenset({"failed", "canceled", "cancelled", "aborted"})


class RedshiftReader:
    name = "redshift"
    label = "Redshift SYS_QUERY_HISTORY (CSV or JSONL)"
    looks_like = "Redshift SYS_QUERY_HISTORY export"
    dialect = "redshift"
    extras_roles = {
        "query_text": (
            "Redshift SYS_QUERY_TEXT export, to rebuild statements longer than 4,000 characters"
        )
    }

    def sniff(self, head: str, filename: str) -> Detection:
        return QUERY_HISTORY.sniff(head, self.name)

    def read(
        self, path: Path, *, extras: Mapping[str, Path] | None = None
    ) -> Iterator[LogRecord | RowError]:
        path = Path(path)
        c.require_columns(path, QUERY_HISTORY, what=path.name)
        text_path = c.mapping_or_empty(extras).get("query_text")
        if text_path is not None:
            c.require_columns(Path(text_path), QUERY_TEXT, what=Path(text_path).name)
        return self._read(path, Path(text_path) if text_path is not None else None)

    def _read(self, path: Path, text_path: Path | None) -> Iterator[LogRecord | RowError]:
        long_texts: dict[str, str] = {}
        if text_path is not None:
            for item in _load_long_texts(text_path):
                if isinstance(item, RowError):
                    yield item
                else:
                    long_texts[item[0]] = item[1]
        yield from c.iter_records(path, COLUMNS, _converter(long_texts), what=path.name)


COLUMNS = (
    "query_id", "query_text", "start_time", "usename", "user_id", "elapsed_time", "status",
    "database_name", "query_type", "returned_rows",
)  # fmt: skip


def _converter(long_texts: dict[str, str]):
    as_text = c.text_value

    def convert(values: tuple[Any, ...], line: int) -> LogRecord | RowError:
        query_id, text, start, usename, user_id, elapsed, status, database, qtype, rows = values
        query_id = as_text(query_id).strip()
        if not query_id:
            return RowError(line, "query_id is missing")
        text = long_texts.get(query_id, text) if long_texts else text
        if not text or text.__class__ is not str or text.isspace():
            return RowError(line, f"query_text is missing (query {query_id})")
        started = c.parse_timestamp(start, column="start_time")
        user = as_text(usename).strip()
        if not user:
            user_id = as_text(user_id).strip()
            user = f"user_id:{user_id}" if user_id else ""
        elapsed = c.float_value(elapsed, column="elapsed_time")
        return LogRecord(
            query_id=query_id,
            text=_unescape(text.rstrip()),
            started_at=started,
            user=user,
            database=as_text(database).strip(),
            schema="",
            statement_type=as_text(qtype).strip().upper(),
            succeeded=as_text(status).strip().lower() not in FAILED,
            duration_ms=elapsed / 1000 if elapsed is not None else None,
            rows=c.int_value(rows, column="returned_rows"),
            line=line,
        )

    return convert


def _load_long_texts(path: Path) -> Iterator[tuple[str, str] | RowError]:
    """Statements that SYS_QUERY_TEXT holds in more than one chunk, joined in sequence
    order. Two streaming passes, so only the long statements are ever held in memory."""
    name = path.name
    multi: set[str] = set()
    for _line, row, _error in c.iter_rows(path, what=name):
        if row is not None and c.text_value(row.get("sequence")).strip() not in ("", "0"):
            multi.add(c.text_value(row.get("query_id")).strip())
    chunks: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for line, row, error in c.iter_rows(path, what=name):
        if error is not None:
            yield RowError(line, f"{name} line {line}: {error}")
            continue
        assert row is not None
        query_id = c.text_value(row.get("query_id")).strip()
        if query_id not in multi:
            continue
        try:
            seq = c.int_value(row.get("sequence"), column="sequence")
        except ValueError as exc:
            yield RowError(line, f"{name} line {line}: {exc}")
            continue
        text = row.get("text")
        chunks[query_id].append((seq or 0, text if isinstance(text, str) else c.text_value(text)))
    for query_id, parts in chunks.items():
        parts.sort(key=lambda p: p[0])
        # Only the last chunk is padded (text is CHARACTER(4000)); inner chunks are full.
        yield query_id, "".join(text for _, text in parts)


def _unescape(text: str) -> str:
    # Redshift's text views may write newlines as the two characters "\n"; a statement
    # without any real newline but with "\n" sequences was flattened that way.
    if "\n" not in text and "\\n" in text:
        return text.replace("\\r\\n", "\n").replace("\\n", "\n")
    return text


READER = RedshiftReader()
