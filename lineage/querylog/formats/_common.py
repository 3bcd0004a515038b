"""What the readers share: opening (plain or gzip), streaming CSV / JSON-lines rows with
their physical line numbers, header sniffing, and timestamp parsing.

Everything here streams: a file is read line by line, never whole, so a million-row export
costs the memory of one row.
"""

from __future__ import annotations

import csv
import gzip
import io
import operator
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
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


Row = dict[str, Any]


def open_text(fh: IO[bytes]) -> io.TextIOWrapper:
    """Text over the bytes, keeping undecodable bytes as lone surrogates so the one row
    holding them can be reported (``row_problem``) instead of failing the file."""
    return io.TextIOWrapper(fh, encoding="utf-8-sig", errors="surrogateescape", newline="")


def row_problem(values: list[str]) -> str | None:
    """Why a row's text cannot be stored as it is: undecodable bytes, or a NUL character
    (PostgreSQL text cannot hold one). None for the usual row."""
    joined = "".join(values)
    if joined.isascii():  # C-speed fast path for the usual row
        return "contains a NUL character" if "\x00" in joined else None
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid UTF-8"
    return "contains a NUL character" if "\x00" in joined else None


# A gzip that ends early or is corrupt fails mid-read: reported as the last row error.
DAMAGED = (EOFError, zlib.error, gzip.BadGzipFile)


def damaged_message(after_line: int, exc: BaseException) -> str:
    return f"the file is damaged or cut short after line {after_line}: {exc or type(exc).__name__}"


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
        kind = _peek_kind(fh)
        if kind == "jsonl":
            yield from _iter_jsonl(fh)
        elif kind == "json_array":
            raise WrongFormat(
                f"{what} is one JSON array; export it as "
                "newline-delimited JSON (one object per line)"
            )
        elif kind == "csv":
            yield from _iter_csv(fh)


def _peek_kind(fh: IO[bytes]) -> str:
    head = fh.peek(4096)[:4096] if hasattr(fh, "peek") else b""  # type: ignore[attr-defined]
    return head_kind(head.decode("utf-8", errors="replace").lstrip("\ufeff"))


def iter_csv_lists(fh: IO[bytes]) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(start line, values, error) for every CSV record, header included. A record that is
    not valid UTF-8, or that the csv module cannot read, is an error; blank lines are
    skipped. Multi-line records report the line they start on."""
    reader = csv.reader(open_text(fh))
    prev = 0
    while True:
        try:
            for values in reader:
                start = prev + 1
                prev = reader.line_num
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue
                problem = row_problem(values)
                if problem:
                    yield start, None, problem
                    continue
                yield start, values, None
            return
        except csv.Error as exc:
            start = prev + 1
            prev = reader.line_num
            yield start, None, f"unreadable CSV: {exc}"
        except DAMAGED as exc:
            yield prev + 1, None, damaged_message(prev, exc)
            return


def _iter_csv(fh: IO[bytes]) -> Iterator[tuple[int, Row | None, str | None]]:
    keys: list[str] | None = None
    width = 0
    for start, values, error in iter_csv_lists(fh):
        if keys is None:
            if values is None:
                return  # no readable header: require_columns has already said so
            header = values
            keys = [h.strip().lower() for h in values]
            width = len(keys)
            continue
        if values == header:
            continue  # exports concatenated with `cat` repeat the header
        if error is not None:
            yield start, None, error
        elif len(values) != width:  # type: ignore[arg-type]
            yield start, None, f"expected {width} columns, found {len(values)}"  # type: ignore[arg-type]
        else:
            yield start, dict(zip(keys, values, strict=True)), None  # type: ignore[arg-type]


def _iter_jsonl(
    fh: IO[bytes], *, lower: bool = True
) -> Iterator[tuple[int, Row | None, str | None]]:
    """(line, object, error) per JSON line; keys lower-cased unless ``lower`` is False."""
    decode = msgspec.json.Decoder().decode
    key_cache: dict[str, str] = {}
    n = 0
    try:
        for raw in fh:
            n += 1
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
            if not lower:
                yield n, obj, None
                continue
            row = {}
            for k, v in obj.items():
                lk = key_cache.get(k)
                if lk is None:
                    lk = key_cache[k] = k.lower()
                row[lk] = v
            yield n, row, None
    except DAMAGED as exc:
        yield n + 1, None, damaged_message(n, exc)


def iter_records(
    path: Path,
    columns: tuple[str, ...],
    convert: Callable[[tuple[Any, ...], int], LogRecord | RowError | None],
    *,
    what: str,
) -> Iterator[LogRecord | RowError]:
    """Rows of a tabular export turned into records by ``convert``, which gets the values
    of ``columns`` (lower-case names; None / "" when the file lacks one) as a tuple, and
    returns None for rows to skip silently or raises ValueError for a bad value. CSV takes
    a flat path with C-level column picking: this loop is the hot one for million-row files."""
    if len(columns) < 2:
        raise ValueError("iter_records needs at least two columns")
    with open_binary(path) as fh:
        kind = _peek_kind(fh)
        if kind == "json_array":
            raise WrongFormat(
                f"{what} is one JSON array; export it as "
                "newline-delimited JSON (one object per line)"
            )
        if kind == "jsonl":
            # Keys are matched to ``columns`` case-insensitively once per distinct key
            # layout (usually one per file), then picked with C-level map/get.
            layouts: dict[tuple[str, ...], tuple[str, ...]] = {}
            for line, obj, error in _iter_jsonl(fh, lower=False):
                if error is not None:
                    yield RowError(line, error)
                    continue
                layout = tuple(obj)  # type: ignore[arg-type]
                keys = layouts.get(layout)
                if keys is None:
                    if len(layouts) > 1000:
                        layouts.clear()
                    actual = {k.lower(): k for k in layout}
                    keys = layouts[layout] = tuple(actual.get(col, "\x00") for col in columns)
                try:
                    out = convert(tuple(map(obj.get, keys)), line)  # type: ignore[union-attr]
                except (ValueError, TypeError, KeyError) as exc:
                    out = RowError(line, str(exc))
                if out is not None:
                    if out.__class__ is LogRecord and "\x00" in out.text:  # type: ignore[union-attr]
                        out = RowError(line, "contains a NUL character")
                    yield out
            return
        if kind != "csv":
            return
        reader = csv.reader(open_text(fh))
        pick: Callable[[list[str]], tuple[Any, ...]] | None = None
        width = 0
        prev = 0
        while True:
            try:
                for values in reader:
                    start = prev + 1
                    prev = reader.line_num
                    if pick is None:
                        header = values
                        keys = [h.strip().lower() for h in values]
                        width = len(keys)
                        # A column the file lacks reads the "" appended to every row.
                        pick = operator.itemgetter(
                            *(keys.index(col) if col in keys else width for col in columns)
                        )
                        continue
                    if values == header:
                        continue  # exports concatenated with `cat` repeat the header
                    if len(values) != width:
                        if not values or (len(values) == 1 and not values[0].strip()):
                            continue  # blank line
                        yield RowError(start, f"expected {width} columns, found {len(values)}")
                        continue
                    problem = row_problem(values)
                    if problem:
                        yield RowError(start, problem)
                        continue
                    values.append("")
                    try:
                        out = convert(pick(values), start)
                    except (ValueError, TypeError, KeyError) as exc:
                        out = RowError(start, str(exc))
                    if out is not None:
                        yield out
                return
            except csv.Error as exc:
                start = prev + 1
                prev = reader.line_num
                yield RowError(start, f"unreadable CSV: {exc}")
            except DAMAGED as exc:
                yield RowError(prev + 1, damaged_message(prev, exc))
                return


# --- header sniffing -------------------------------------------------------------------------


class Signature:
    """A tabular format recognised by its column names (case-insensitive). ``required`` are
    alternatives: each entry is a set of which at least one name must be present."""

    def __init__(
        self, label: str, required: Iterable[str | tuple[str, ...]], typical: Iterable[str]
    ):
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
        return [
            " or ".join(alts) for alts in self.required if not any(name in cols for name in alts)
        ]

    def sniff(self, head: str, name: str | None = None) -> Detection:
        """How well a file's head fits this signature; named ``name`` (a reader) when it
        fits well enough to be that reader's format."""
        kind, columns = head_columns(head)
        if kind not in ("csv", "jsonl"):
            return Detection(None, 0.0, "")
        score = self.score(columns)
        return Detection(name if score >= 0.5 else None, score, describe_columns(kind, columns))


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
        raise WrongFormat(
            f"{what} is one JSON array; export it as newline-delimited JSON (one object per line)"
        )
    missing = signature.missing(columns)
    if missing:
        raise WrongFormat(
            f"{what} does not look like a {signature.label}: missing column(s) "
            f"{', '.join(missing)} (found {describe_columns(kind, columns)})"
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
    global _LAST
    if value.__class__ is str and len(value) > 18 and value[4] == "-":
        # Fast paths, tried without building exceptions for the usual shapes.
        if value[-6] == " " and value[-5] in "+-":
            # Snowflake's "2026-11-20 08:15:02.123 -0800": fromisoformat takes the offset
            # without the space, and returns the UTC singleton for +0000.
            text = value[:-6] + value[-5:]
        elif value[-4:] == " UTC":  # BigQuery, PostgreSQL
            text = value[:-4]
        else:
            text = value
        if text[-1] == "Z" or not text[-1].isalpha():
            last = _LAST  # one tuple read: safe if threads share the module
            if value == last[0]:
                return last[1]
            try:
                dt = datetime.fromisoformat(text)
            except ValueError:
                pass
            else:
                dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt
                dt = dt if dt.tzinfo is UTC else dt.astimezone(UTC)
                _LAST = (value, dt)
                return dt
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        dt = _from_epoch(float(value))
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            if text[0] in "-0123456789" and _NUMERIC.match(text) and "-" not in text[1:]:
                dt = _from_epoch(float(text))
            else:
                dt = _from_text(text)
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"{column} {_quote(value)} is not a timestamp") from None
    else:
        raise ValueError(
            f"{column} is empty"
            if value in (None, "")
            else f"{column} {_quote(value)} is not a timestamp"
        )
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt if dt.tzinfo is UTC else dt.astimezone(UTC)


def _from_epoch(seconds: float) -> datetime:
    # Epoch values come in seconds, milliseconds or microseconds depending on the exporter.
    if abs(seconds) >= 1e14:
        seconds /= 1e6
    elif abs(seconds) >= 1e11:
        seconds /= 1e3
    return datetime.fromtimestamp(seconds, UTC)


_ZONE_CACHE: dict[str, Any] = {}
# The last string parsed: snapshot exports repeat one capture time on every row.
_LAST: tuple[str, Any] = ("", None)


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


_LEADING = re.compile(r"^(?:\s+|--[^\n]*\n?|/\*.*?\*/|\()*", re.S)


def first_keyword(sql: str) -> str:
    """The statement's first keyword, upper case, skipping comments and parentheses."""
    rest = sql[_LEADING.match(sql).end() :]  # type: ignore[union-attr]
    word = re.match(r"[A-Za-z]+", rest)
    return word.group(0).upper() if word else ""


def mapping_or_empty(extras: Mapping[str, Path] | None) -> Mapping[str, Path]:
    return extras or {}
