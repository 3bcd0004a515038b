"""Statement fingerprints: one shape for every run of "the same query".

A regex-level normaliser, not a parse: it runs once per log row (a million rows in a
few seconds), while the SQL parser runs once per distinct shape. Literals become ``?``,
IN-lists and multi-row VALUES collapse to one element, comments go, whitespace and case
fold. Two statements that differ only in literals get the same fingerprint.
"""

from __future__ import annotations

import hashlib
import re

# Strings first, so that digits and comment markers inside them are consumed with them.
# (Unrolled loops: Python's re is slow on alternations inside a repetition.)
_STRING = r"'[^'\\]*(?:(?:''|\\.)[^'\\]*)*'"
_LITERAL = re.compile(
    _STRING
    + r"|\$\$.*?\$\$"  # $$dollar-quoted$$
    # Numbers, not inside names (t1). The lookbehind comes after the first digit so that
    # re can skip ahead to a quote or digit instead of testing it at every position.
    + r"|[0-9](?<![\w.$\"][0-9])[0-9]*(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?(?![\w$])",
    re.DOTALL,
)
_BOOLEAN = re.compile(r"\b(?:true|false)\b")
_COMMENT = re.compile(_STRING + r"|--[^\n]*|/\*.*?\*/", re.DOTALL)
_IN_LIST = re.compile(r"\( \?(?: , \?)* \)")  # ( ? , ? , ? ) -> ( ? )
_ROWS = re.compile(r"\( \? \)(?: , \( \? \))+")  # VALUES ( ? ) , ( ? ) -> ( ? )


def _strip_comments(sql: str) -> str:
    return _COMMENT.sub(lambda m: m.group(0) if m.group(0).startswith("'") else " ", sql)


def normalise(sql: str) -> str:
    """The fingerprint text of a statement (lower case, literals as ``?``, one space
    between tokens and around commas, brackets and ``=``)."""
    if "--" in sql or "/*" in sql:
        sql = _strip_comments(sql)
    text = _LITERAL.sub("?", sql.lower())
    if "true" in text or "false" in text:
        text = _BOOLEAN.sub("?", text)
    # Spaces around punctuation, then one split/join folds every run of whitespace.
    text = " ".join(
        text.replace(",", " , ").replace("(", " ( ").replace(")", " ) ").replace("=", " = ").split()
    )
    if "( ?" in text:
        text = _IN_LIST.sub("( ? )", text)
        if "? ) , (" in text:
            text = _ROWS.sub("( ? )", text)
    return text.rstrip("; ")


def redact(sql: str) -> str:
    """The statement as written, literals replaced by ``?`` (kept instead of raw text)."""
    return _LITERAL.sub("?", _strip_comments(sql)).strip()


def fingerprint_key(text: str, dialect: str, database: str = "", schema: str = "") -> int:
    """A signed 64-bit key (fits a BIGINT) for a normalised text in its parse context."""
    digest = hashlib.blake2b(
        f"{dialect}\0{database}\0{schema}\0{text}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def query_id_key(query_id: str) -> int:
    """A signed 64-bit key for a warehouse query id (dedup)."""
    return int.from_bytes(
        hashlib.blake2b(query_id.encode(), digest_size=8).digest(), "big", signed=True
    )
