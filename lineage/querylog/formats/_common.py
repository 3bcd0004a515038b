"""What the readers share: opening (plain or gzip), streaming CSV / JSON-lines rows with
their physical line numbers, header sniffing, and timestamp parsing.

Everything here streams: a file is read line by line, never whole, so a million-row export
costs the memory of one row.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

import msgspec

from .base import Detection, LogRecord, RowError, WrongFormat

HEAD_BYTES = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"

# A SQL statement can be far longer than the csv module's default 128 KiB field limit.
if csv.field_size_limit() < 64 * 1024 * 1024:
    csv.field_size_limit(min(sys.maxsize, 64 * 1024 * 1024))


# --- files -----------------------------------------------------------------------------------


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, gunzipped on the fly when it starts with the gzip magic number
    (whatever its name says)."""
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    magic = raw.read(2)
    raw.seek(0)
    if magic == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def read_head(path: Path, size: int = HEAD_BYTES) -> str:
    """The first ``size`` bytes of the (decompressed) file as text, for sniffing."""
    with open_binary(path) as fh:
        data = fh.read(size)
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


class LineSource:
    """The file's text lines (newlines kept), counting them and remembering which were not
    valid UTF-8 — so a reader can report the row instead of stopping the whole file."""

    def __init__(self, fh: IO[bytes]):
        self._text = io.TextIOWrapper(fh, encoding="utf-8", errors="surrogateescape", newline="")
        self.bad_lines: set[int] = set()
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        bad = self.bad_lines
        n = self.count
        first = True
        for line in self._text:
            n += 1
            self.count = n
            if first:
                first = False
                line = line.lstrip("\ufeff")
            # isascii() is a C-speed fast path; only non-ASCII lines are checked for the lone
            # surrogates that stand for undecodable bytes.
            if not line.isascii():
                try:
                    line.encode("utf-8")
                except UnicodeEncodeError:
                    bad.add(n)
            yield line

    def close(self) -> None:
        self._text.close()


def invalid_utf8_message(first: int, last: int, bad: set[int]) -> str | None:
    for n in range(first, last + 1):
        if n in bad:
            return f"not valid UTF-8 (line {n})" if first != last else "not valid UTF-8"
    return None


def clean_text(value: str) -> str:
    """Drop the surrogate escapes of undecodable bytes (only used after reporting them)."""
    return value.encode("utf-8", errors="replace").decode("utf-8")


# --- tabular rows (CSV with a header, or JSON lines) ------------------------------------------

Row = dict[str, Any]


def head_kind(head: str) -> str:
    """'jsonl' when the first non-blank character opens a JSON object, 'json_array' for a
    JSON array, 'empty', else 'csv'."""
    stripped = head.lstrip()
    if not stripped:
        return "empty"
    if stripped[0] == "{":
        return "jsonl"
    if re.match(r"\[\s*[{\]]", stripped):
        return "json_array"
    return "csv"


def head_columns(head: str) -> tuple[str, list[str]]:
    """(kind, column names as written) for the start of a file: the CSV header row, or the
    keys of the first JSON object."""
    kind = head_kind(head)
    if kind == "jsonl":
        first = head.lstrip().split("\n", 1)[0]
        try:
            obj = msgspec.json.decode(first.encode("utf-8", errors="replace"))
        except msgspec.DecodeError:
            return kind, []
        return kind, list(obj) if isinstance(obj, dict) else []
    if kind == "csv":
        try:
            row = next(csv.reader(io.StringIO(head)), [])
        except csv.Error:
            return kind, []
        return kind, [c.strip() for c in row]
    return kind, []


def first_csv_record(head: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(head)), [])
    except csv.Error:
        return []


def iter_rows(path: Path, *, what: str) -> Iterator[tuple[int, Row | None, str | None]]:
    """(line, row with lower-case keys, error) for each data row of a CSV-with-header or
    JSON-lines file, in file order. ``line`` is the physical line the row starts on (the
    header is line 1 in a CSV). Exactly one of ``row`` / ``error`` is set. ``what`` names the
    file in messages."""
    with open_binary(path) as fh:
        head = fh.peek(4096) if hasattr(fh, "peek") else b""  # type: ignore[attr-defined]
        kind = head_kind(head.decode("utf-8", errors="replace"))
        if kind == "jsonl":
            yield from _iter_jsonl(fh)
        elif kind == "json_array":
            raise WrongFormat(f"{what} is one JSON array; export it as newline-delimited JSON (one object per line)")
        elif kind == "csv":
            yield from _iter_csv(fh)


def iter_csv_lists(fh: IO[bytes]) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(start line, values, error) for every CSV record, header included. A record whose
    lines are not valid UTF-8, or that the csv module cannot read, is an error; blank
    lines are skipped."""
    lines = LineSource(fh)
    reader = csv.reader(lines)
    bad = lines.bad_lines
    prev = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            start = prev + 1
            prev = reader.line_num
            yield start, None, f"unreadable CSV: {exc}"
            continue
        start = prev + 1
        prev = reader.line_num
        if not values or (len(values) == 1 and not values[0].strip()):
            continue
        if bad:
            msg = invalid_utf8_message(start, prev, bad)
            if msg:
                yield start, None, msg
                continue
        yield start, values, None


def _iter_csv(fh: IO[bytes]) -> Iterator[tuple[int, Row | None, str | None]]:
    records = iter_csv_lists(fh)
    keys: list[str] | None = None
    width = 0
    for start, values, error in records:
        if keys is None:
            if values is None:
                return  # no readable header: require_columns has already said so
            keys = [h.strip().lower() for h in values]
            width = len(keys)
            continue
        if error is not None:
            yield start, None, error
        elif len(values) != width:  # type: ignore[arg-type]
            yield start, None, f"expected {width} columns, found {len(values)}"  # type: ignore[arg-type]
        else:
            yield start, dict(zip(keys, values)), None  # type: ignore[arg-type]


def _iter_jsonl(fh: IO[bytes]) -> Iterator[tuple[int, Row | None, str | None]]:
    decode = msgspec.json.Decoder().decode
    key_cache: dict[str, str] = {}
    for n, raw in enumerate(fh, start=1):
        if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        try:
            obj = decode(raw)
        except UnicodeDecodeError:
            yield n, None, "not valid UTF-8"
            continue
        except msgspec.DecodeError as exc:
            yield n, None, f"not valid JSON: {exc}"
            continue
        if not isinstance(obj, dict):
            yield n, None, f"expected a JSON object, found {type(obj).__name__}"
            continue
        row = {}
        for k, v in obj.items():
            lk = key_cache.get(k)
            if lk is None:
                lk = key_cache[k] = k.lower()
            row[lk] = v
        yield n, row, None


def iter_records(
    path: Path, convert: Callable[[Row, int], LogRecord | RowError | None], *, what: str
) -> Iterator[LogRecord | RowError]:
    """Rows of a tabular export turned into records by ``convert`` (which returns None for
    rows to skip silently)."""
    for line, row, error in iter_rows(path, what=what):
        if error is not None:
            yield RowError(line, error)
            continue
        try:
            out = convert(row, line)  # type: ignore[arg-type]
        except (ValueError, TypeError, KeyError) as exc:
            out = RowError(line, str(exc))
        if out is not None:
            yield out


# --- header sniffing -------------------------------------------------------------------------


class Signature:
    """A tabular format recognised by its column names (case-insensitive). ``required`` are
    alternatives: each entry is a set of which at least one name must be present."""

    def __init__(self, label: str, required: Iterable[str | tuple[str, ...]], typical: Iterable[str]):
        self.label = label
        self.required = [(r,) if isinstance(r, str) else tuple(r) for r in required]
        self.typical = frozenset(typical)

    def score(self, columns: Iterable[str]) -> float:
        cols = {c.strip().lower() for c in columns}
        if not cols:
            return 0.0
        typical = len(cols & self.typical) / max(1, len(self.typical))
        if all(any(name in cols for name in alts) for alts in self.required):
            return 0.6 + 0.4 * typical
        return 0.4 * typical

    def missing(self, columns: Iterable[str]) -> list[str]:
        cols = {c.strip().lower() for c in columns}
        return [" or ".join(alts) for alts in self.required if not any(name in cols for name in alts)]

    def sniff(self, head: str) -> Detection:
        kind, columns = head_columns(head)
        if kind not in ("csv", "jsonl"):
            return Detection(None, 0.0, "")
        score = self.score(columns)
        return Detection(None, score, describe_columns(kind, columns))


def describe_columns(kind: str, columns: list[str], limit: int = 6) -> str:
    shown = ", ".join(columns[:limit]) + (", ..." if len(columns) > limit else "")
    where = "keys" if kind == "jsonl" else "columns"
    return f"{where} {shown}" if columns else f"no {where}"


def require_columns(path: Path, signature: Signature, *, what: str) -> None:
    """Raise WrongFormat before reading when the file's header lacks a required column."""
    head = read_head(path)
    kind, columns = head_columns(head)
    if kind == "empty":
        return  # an empty export has no rows; nothing to reject
    if kind == "json_array":
        raise WrongFormat(f"{what} is one JSON array; export it as newline-delimited JSON (one object per line)")
    missing = signature.missing(columns)
    if missing:
        raise WrongFormat(
            f"{what} does not look like a {signature.label}: missing column(s) {', '.join(missing)} "
            f"(found {describe_columns(kind, columns)})"
        )


# --- values ----------------------------------------------------------------------------------

_NUMERIC = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
_TZ_WORDS = {"UTC": "+00:00", "GMT": "+00:00", "Z": "+00:00", "UCT": "+00:00"}
_OFFSET_SUFFIX = re.compile(r"\s*([+-]\d{2})(:?\d{2})?$")


def parse_timestamp(value: Any, *, column: str) -> datetime:
    """A timezone-aware UTC datetime from the shapes warehouses export: Snowflake's
    ``2026-11-20 08:15:02.123 -0800``, ISO 8601 with ``Z`` or an offset, BigQuery's
    ``... UTC``, PostgreSQL's ``... UTC`` / ``... +01``, naive (taken as UTC), or epoch
    seconds / milliseconds / microseconds. Raises ValueError naming the column."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        dt = _from_epoch(float(value))
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            if _NUMERIC.match(text):
                dt = _from_epoch(float(text))
            else:
                dt = _from_text(text)
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"{column} {_quote(value)} is not a timestamp") from None
    else:
        raise ValueError(f"{column} is empty" if value in (None, "") else f"{column} {_quote(value)} is not a timestamp")
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _from_epoch(seconds: float) -> datetime:
    # Epoch values come in seconds, milliseconds or microseconds depending on the exporter.
    if abs(seconds) >= 1e14:
        seconds /= 1e6
    elif abs(seconds) >= 1e11:
        seconds /= 1e3
    return datetime.fromtimestamp(seconds, UTC)


_ZONE_CACHE: dict[str, Any] = {}


def _from_text(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    # "2026-11-20 08:15:02.123 -0800", "... UTC", "... CET"
    base, sep, tail = text.rpartition(" ")
    if sep and base and ":" in base:
        word = tail.upper()
        if word in _TZ_WORDS:
            return datetime.fromisoformat(base + _TZ_WORDS[word])
        if _OFFSET_SUFFIX.fullmatch(tail):
            sign_hh, mm = tail[:3], tail[3:].lstrip(":") or "00"
            return datetime.fromisoformat(f"{base}{sign_hh}:{mm}")
        zone = _zone(tail)
        if zone is not None:
            return datetime.fromisoformat(base).replace(tzinfo=zone)
    raise ValueError(text)


def _zone(name: str) -> Any:
    if name in _ZONE_CACHE:
        return _ZONE_CACHE[name]
    zone: Any = None
    try:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(name)
    except Exception:  # noqa: BLE001 - unknown abbreviation: not a zone we can use
        zone = None
    _ZONE_CACHE[name] = zone
    return zone


def _quote(value: Any, limit: int = 40) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")


def text_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def int_value(value: Any, *, column: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{column} {_quote(value)} is not a number")
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            raise ValueError(f"{column} {_quote(value)} is not a number") from None


def float_value(value: Any, *, column: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{column} {_quote(value)} is not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{column} {_quote(value)} is not a number") from None


def json_value(value: Any, *, column: str) -> Any:
    """A nested value: already decoded (JSON lines) or a JSON string (CSV cell)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return msgspec.json.decode(value.encode("utf-8", errors="surrogateescape"))
        except (msgspec.DecodeError, UnicodeDecodeError):
            raise ValueError(f"{column} is not valid JSON: {_quote(value)}") from None
    return value


def require(value: Any, *, column: str) -> str:
    text = text_value(value).strip() if not isinstance(value, str) else value
    if not text or not text.strip():
        raise ValueError(f"{column} is missing")
    return text


_LEADING = re.compile(r"^(?:\s+|--[^\n]*\n?|/\*.*?\*/|\()*", re.S)


def first_keyword(sql: str) -> str:
    """The statement's first keyword, upper case, skipping comments and parentheses."""
    rest = sql[_LEADING.match(sql).end() :]  # type: ignore[union-attr]
    word = re.match(r"[A-Za-z]+", rest)
    return word.group(0).upper() if word else ""


def utc_from_offset(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


def mapping_or_empty(extras: Mapping[str, Path] | None) -> Mapping[str, Path]:
    return extras or {}
