"""PostgreSQL ``csvlog`` files (``log_destination = 'csvlog'``).

Header-less CSV, one record per log message, 23 columns (PostgreSQL 12 and older), 24 (13:
``backend_type``) or 26 (14+: ``leader_pid``, ``query_id``); multi-line statements sit in
quoted fields. Statements come from ``log_statement = 'all'`` (``statement: ...``,
``execute <name>: ...``) or ``log_min_duration_statement`` (``duration: 1.2 ms  statement:
...``). The query id is ``session_id:session_line_num``, unique per server log.

A statement's outcome and duration are logged on the session's next line (an ERROR, or
``duration: 1.2 ms`` alone when both settings are on), so a statement is held until that
line arrives (at most 10,000 lines); records still come out in file order.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from . import _common as c
from .base import Detection, LogRecord, RowError

COLUMNS = (
    "log_time", "user_name", "database_name", "process_id", "connection_from", "session_id",
    "session_line_num", "command_tag", "session_start_time", "virtual_transaction_id",
    "transaction_id", "error_severity", "sql_state_code", "message", "detail", "hint",
    "internal_query", "internal_query_pos", "context", "query", "query_pos", "location",
    "application_name", "backend_type", "leader_pid", "query_id",
)  # fmt: skip
LOG_TIME, USER, DATABASE, SESSION, LINE_NUM, COMMAND_TAG, SEVERITY, MESSAGE = (
    0,
    1,
    2,
    5,
    6,
    7,
    11,
    13,
)
MIN_COLUMNS, MAX_COLUMNS = 23, 26
WINDOW = 10_000  # lines a statement waits for its session's next line (outcome, duration)

SEVERITIES = frozenset(
    {"DEBUG", "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5", "INFO", "NOTICE", "WARNING",
     "ERROR", "LOG", "FATAL", "PANIC"}
)  # fmt: skip
FAILURES = frozenset({"ERROR", "FATAL", "PANIC"})
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")

_DURATION_STATEMENT = re.compile(
    r"duration: ([0-9.]+) ms {1,2}(statement|execute [^:]*|parse [^:]*|bind [^:]*): ", re.S
)
_DURATION_ONLY = re.compile(r"duration: ([0-9.]+) ms\s*$")
_STATEMENT = re.compile(r"(statement|execute [^:]*): ", re.S)


class PostgresCsvlogReader:
    name = "postgres_csvlog"
    label = "PostgreSQL csvlog"
    looks_like = "PostgreSQL csvlog file"
    dialect = "postgres"
    extras_roles: dict[str, str] = {}

    def sniff(self, head: str, filename: str) -> Detection:
        record = c.first_csv_record(head)
        if record and record[0].strip().lower() == "log_time":  # exported with a header row
            matched = sum(
                1 for a, b in zip(record, COLUMNS, strict=False) if a.strip().lower() == b
            )
            conf = 0.6 + 0.4 * matched / len(COLUMNS) if matched >= 14 else 0.0
            return Detection(
                self.name if conf >= 0.5 else None, conf, f"header {', '.join(record[:6])}, ..."
            )
        if not record or not MIN_COLUMNS - 1 <= len(record) <= MAX_COLUMNS:
            return Detection(None, 0.0, "")
        score = 0.3
        if _TIMESTAMP.match(record[LOG_TIME]):
            score += 0.3
        if record[SEVERITY] in SEVERITIES:
            score += 0.3
        if record[LINE_NUM].isdigit():
            score += 0.1
        if filename.endswith((".csv", ".csv.gz")) or "postgres" in filename.lower():
            score = min(1.0, score + 0.05)
        return Detection(
            self.name if score >= 0.5 else None,
            score,
            f"{len(record)} columns, no header, starting {record[LOG_TIME]!r}",
        )

    def read(
        self, path: Path, *, extras: Mapping[str, Path] | None = None
    ) -> Iterator[LogRecord | RowError]:
        path = Path(path)
        head = c.read_head(path)
        if c.head_kind(head) != "empty" and self.sniff(head, path.name).confidence < 0.5:
            record = c.first_csv_record(head)
            from .base import WrongFormat

            raise WrongFormat(
                f"{path.name} does not look like a PostgreSQL csvlog "
                f"file: its first row has {len(record)} fields (expected "
                f"{MIN_COLUMNS}-{MAX_COLUMNS}, starting with a log time)"
            )
        return self._read(path)

    def _read(self, path: Path) -> Iterator[LogRecord | RowError]:
        # Items wait in file order until their outcome is known (the session's next line
        # arrived) or they are WINDOW lines old; so output stays in file order and memory
        # stays bounded however long a session idles.
        queue: deque[_Held] = deque()
        waiting: dict[str, _Held] = {}  # session -> its last statement, outcome unknown
        with c.open_binary(path) as fh:
            first = True
            for line, values, error in c.iter_csv_lists(fh):
                while queue and (queue[0].done or queue[0].line + WINDOW < line):
                    held = queue.popleft()
                    if not held.done and waiting.get(held.session) is held:
                        del waiting[held.session]
                    yield held.item
                if error is not None:
                    queue.append(_Held(RowError(line, error), line))
                    continue
                assert values is not None
                if first:
                    first = False
                    if values[0].strip().lower() == "log_time":
                        continue  # a header row from COPY ... CSV HEADER
                if not MIN_COLUMNS - 1 <= len(values) <= MAX_COLUMNS:
                    queue.append(
                        _Held(
                            RowError(
                                line,
                                f"expected {MIN_COLUMNS} to {MAX_COLUMNS} "
                                f"columns, found {len(values)}",
                            ),
                            line,
                        )
                    )
                    continue
                session = values[SESSION]
                line_num = values[LINE_NUM]
                held = waiting.pop(session, None)
                if held is not None:
                    held.done = True
                    if line_num.isdigit() and int(line_num) == held.line_num + 1:
                        record = held.item
                        assert isinstance(record, LogRecord)
                        if values[SEVERITY] in FAILURES:
                            record.succeeded = False
                        elif record.duration_ms is None:
                            m = _DURATION_ONLY.match(values[MESSAGE])
                            if m:
                                record.duration_ms = float(m.group(1))
                try:
                    record = _statement(values, line)
                except ValueError as exc:
                    queue.append(_Held(RowError(line, str(exc)), line))
                    continue
                if record is not None:
                    if line_num.isdigit():
                        entry = _Held(record, line, session, int(line_num), done=False)
                        waiting[session] = entry
                    else:
                        entry = _Held(record, line)
                    queue.append(entry)
            for held in queue:
                yield held.item


@dataclass(slots=True)
class _Held:
    item: LogRecord | RowError
    line: int
    session: str = ""
    line_num: int = 0
    done: bool = True


def _statement(values: list[str], line: int) -> LogRecord | None:
    """The statement a csvlog line logs, or None for other messages."""
    if values[SEVERITY] != "LOG":
        return None
    message = values[MESSAGE]
    if not message.startswith(("statement: ", "execute ", "duration: ")):
        return None
    duration = None
    m = _DURATION_STATEMENT.match(message)
    if m:
        if m.group(2).startswith(("parse", "bind")):
            return None  # the execute line carries the statement
        duration = float(m.group(1))
        text = message[m.end() :]
    else:
        m = _STATEMENT.match(message)
        if not m:
            return None  # "duration: 1.2 ms" alone, handled with the held statement
        text = message[m.end() :]
    if not text.strip():
        return None
    session, line_num = values[SESSION], values[LINE_NUM]
    if not session or not line_num:
        raise ValueError("session_id or session_line_num is missing")
    logged = c.parse_timestamp(values[LOG_TIME], column="log_time")
    # A duration line is written when the statement ends.
    started = logged - timedelta(milliseconds=duration) if duration is not None else logged
    tag = values[COMMAND_TAG].strip().upper()
    if (
        not tag
        or tag in ("IDLE", "IDLE IN TRANSACTION", "BIND", "PARSE", "EXECUTE")
        or not tag.replace(" ", "").isalpha()
    ):
        tag = c.first_keyword(text)
    return LogRecord(
        query_id=f"{session}:{line_num}",
        text=text,
        started_at=started,
        user=values[USER],
        database=values[DATABASE],
        schema="",
        statement_type=tag,
        succeeded=True,
        duration_ms=duration,
        rows=None,
        line=line,
    )


READER = PostgresCsvlogReader()
