"""Query-log formats: one small reader per warehouse export, one registry.

``FORMATS`` maps a format name to its reader; ``detect_format`` sniffs a file's head (gzip or
not) and picks the reader that is surest; ``read_file`` detects or checks the format and
streams ``LogRecord``s and ``RowError``s. A file in the wrong format is rejected with a
``WrongFormat`` that says what it looks like instead.

Besides ``base.Reader``'s attributes, each reader here declares ``looks_like`` (how messages
name its files: "Snowflake QUERY_HISTORY export") and ``extras_roles`` (the companion files
it takes, by role, with a description for forms and ``--help``). A new format is one module
with a ``READER``, one entry in ``FORMATS``, samples under
``tests/lineage/querylog/samples/`` and one ``FormatContract`` subclass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from . import _common
from .base import Detection, LogRecord, Reader, ReadSummary, RowError, WrongFormat
from .bigquery import READER as _BIGQUERY
from .pg_stat_statements import READER as _PG_STAT_STATEMENTS
from .postgres_csvlog import READER as _POSTGRES_CSVLOG
from .redshift import QUERY_TEXT as _REDSHIFT_QUERY_TEXT
from .redshift import READER as _REDSHIFT
from .snowflake import ACCESS_HISTORY as _ACCESS_HISTORY
from .snowflake import READER as _SNOWFLAKE

__all__ = [
    "FORMATS",
    "MAX_ERRORS",
    "Detection",
    "LogRecord",
    "ReadSummary",
    "Reader",
    "RowError",
    "WrongFormat",
    "describe_file",
    "detect_format",
    "get_reader",
    "read_file",
    "tally",
]

FORMATS: dict[str, Reader] = {
    reader.name: reader
    for reader in (_SNOWFLAKE, _BIGQUERY, _REDSHIFT, _POSTGRES_CSVLOG, _PG_STAT_STATEMENTS)
}

MAX_ERRORS = 50  # row errors kept for the report; the rest are only counted
THRESHOLD = 0.5  # below this a sniff is a guess, not a match

# Companion exports people may upload by mistake as the main file: recognised only to say so.
_COMPANIONS = (
    (
        _ACCESS_HISTORY,
        "give it as the access_history companion of a Snowflake QUERY_HISTORY export",
    ),
    (
        _REDSHIFT_QUERY_TEXT,
        "give it as the query_text companion of a Redshift SYS_QUERY_HISTORY export",
    ),
)


def get_reader(name: str) -> Reader:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(
            f"unknown query-log format {name!r}; known formats: {', '.join(FORMATS)}"
        ) from None


def _looks_like(reader: Reader) -> str:
    return getattr(reader, "looks_like", reader.label)


def detect_format(path: Path | str) -> Detection:
    """The reader surest that ``path`` is its format, from the file's first 64 KiB
    (decompressed when gzipped). ``format`` is None when nothing matches well enough; the
    reason then says what the file starts with."""
    path = Path(path)
    head = _common.read_head(path)
    best = Detection(None, 0.0, "")
    for reader in FORMATS.values():
        det = reader.sniff(head, path.name)
        if det.confidence > best.confidence:
            best = Detection(reader.name, det.confidence, det.reason)
    if best.format is not None and best.confidence >= THRESHOLD:
        reader = FORMATS[best.format]
        return Detection(
            best.format, best.confidence, f"looks like a {_looks_like(reader)} ({best.reason})"
        )
    return Detection(None, best.confidence, _describe_unknown(head))


def describe_file(path: Path | str) -> str:
    """What the file looks like, for messages: 'its header looks like a BigQuery
    INFORMATION_SCHEMA.JOBS export (columns job_id, query, ...)'."""
    det = detect_format(path)
    if det.format is not None:
        reader = FORMATS[det.format]
        return (
            f"{_opening(Path(path))} looks like a {_looks_like(reader)} "
            f"({_strip_parens(det.reason)})"
        )
    return det.reason


def _strip_parens(reason: str) -> str:
    start = reason.find("(")
    return reason[start + 1 : -1] if start >= 0 and reason.endswith(")") else reason


def _opening(path: Path) -> str:
    head = _common.read_head(path, 4096)
    kind = _common.head_kind(head)
    if kind == "jsonl":
        return "its first line"
    if kind == "csv" and FORMATS["postgres_csvlog"].sniff(head, path.name).confidence >= THRESHOLD:
        return "its first row"
    return "its header"


def _describe_unknown(head: str) -> str:
    kind = _common.head_kind(head)
    if kind == "empty":
        return "it is empty"
    if "\x00" in head[:4096] or head.count("\ufffd") > 8:
        return "it is not a text file (CSV or JSON lines), not even gzipped"
    if kind == "json_array":
        return "it is one JSON array; export it as newline-delimited JSON (one object per line)"
    kind, columns = _common.head_columns(head)
    for signature, hint in _COMPANIONS:
        if signature.score(columns) >= THRESHOLD:
            where = "first line" if kind == "jsonl" else "header"
            return (
                f"its {where} looks like a {signature.label} "
                f"({_common.describe_columns(kind, columns)}); {hint}"
            )
    known = "; ".join(_looks_like(r) for r in FORMATS.values())
    if kind == "jsonl":
        shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
        return (
            f"it matches no known query-log format ({known}); its first object has keys: "
            f"{shown or 'none'}"
        )
    first = head.split("\n", 1)[0].strip()
    for sep, sep_name in (("\t", "tab"), (";", "semicolon"), ("|", "pipe")):
        if "," not in first and first.count(sep) >= 2:
            return (
                f"its columns are {sep_name}-separated; export it as comma-separated CSV "
                "(or JSON lines) with the warehouse's column names"
            )
    if len(first) > 200:
        first = first[:200] + "..."
    return f"it matches no known query-log format ({known}); its header is: {first}"


def read_file(
    path: Path | str, fmt: str | None = None, extras: Mapping[str, Path | str] | None = None
) -> Iterator[LogRecord | RowError]:
    """Records and row errors of one export. With ``fmt`` None the format is detected; with
    a format name the file is checked against it first. Raises (at call time, before any
    row is read) ValueError for an unknown format name and WrongFormat when the file is not
    in the format, with what it looks like instead."""
    path = Path(path)
    extras_paths = {role: Path(p) for role, p in (extras or {}).items()}
    if fmt is None:
        det = detect_format(path)
        if det.format is None:
            raise WrongFormat(
                f"{path.name} is not a query-log export Lexicon can read: {det.reason}"
            )
        reader = FORMATS[det.format]
    else:
        reader = get_reader(fmt)
        head = _common.read_head(path)
        if (
            _common.head_kind(head) != "empty"
            and reader.sniff(head, path.name).confidence < THRESHOLD
        ):
            raise WrongFormat(
                f"{path.name} does not look like a {_looks_like(reader)}: {describe_file(path)}"
            )
    roles = getattr(reader, "extras_roles", {})
    unknown = sorted(set(extras_paths) - set(roles))
    if unknown:
        allowed = ", ".join(roles) or "none"
        raise ValueError(
            f"the {reader.name} format takes no "
            f"{', '.join(unknown)} file (companion files: {allowed})"
        )
    return reader.read(path, extras=extras_paths or None)


def tally(items: Iterable[LogRecord | RowError], summary: ReadSummary) -> Iterator[LogRecord]:
    """The records of ``items``, counting rows and keeping the first ``MAX_ERRORS`` row
    errors (all of them counted) in ``summary``."""
    errors = summary.errors
    for item in items:
        summary.rows += 1
        if type(item) is RowError:
            summary.error_count += 1
            if len(errors) < MAX_ERRORS:
                errors.append(item)
            continue
        summary.records += 1
        yield item  # type: ignore[misc]
