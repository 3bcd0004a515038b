"""Formulas are SQL expressions; sqlglot parses them to find the columns they reference.

A formula may hold several expressions separated by ``;``. Column references are the
bare or qualified column names (``amount_usd``, ``fct_revenue.amount_usd``); names of
input metrics are excluded by the caller. Whether a column sits inside a numeric
aggregate (SUM, AVG, ...) decides the type compatibility check in the impact view.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

NUMERIC_AGGREGATES = (
    exp.Sum,
    exp.Avg,
    exp.Stddev,
    exp.StddevPop,
    exp.StddevSamp,
    exp.Variance,
    exp.VariancePop,
)
NUMERIC_TYPE_WORDS = (
    "int",
    "numeric",
    "decimal",
    "float",
    "double",
    "real",
    "number",
    "money",
    "bigint",
    "smallint",
    "tinyint",
    "hugeint",
)


@dataclass(frozen=True)
class ColumnRef:
    name: str  # as written, lower-cased for matching
    table: str  # qualifier as written (lower-cased), "" when bare
    numeric: bool  # used inside SUM/AVG/... (so it must be numeric)


def _dialect(dialect: str | None) -> str | None:
    return dialect or None


def parse_expressions(sql: str, dialect: str | None = None) -> list[exp.Expression]:
    """Parse ``sql`` (one or more ``;``-separated expressions). Raises ``ValueError``."""
    try:
        parsed = [e for e in sqlglot.parse(sql, read=_dialect(dialect)) if e is not None]
    except (ParseError, TokenError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"SQL does not parse: {message}") from None
    if not parsed:
        raise ValueError("SQL is empty")
    return parsed


def formula_parse_error(sql: str, dialect: str | None = None) -> str | None:
    """A one-line reason when ``sql`` does not parse, else None."""
    if "{{" in sql:  # Jinja (MetricFlow filters) is not SQL yet
        return None
    try:
        parse_expressions(sql, dialect)
    except ValueError as exc:
        return str(exc)
    return None


def _in_numeric_value_position(column: exp.Column) -> bool:
    """Inside SUM/AVG/... as a value, not as a condition (``CASE WHEN status = 'x'``)."""
    node: exp.Expression = column
    while node.parent is not None:
        parent = node.parent
        if isinstance(parent, exp.Predicate | exp.Not | exp.And | exp.Or):
            return False
        if isinstance(parent, exp.If) and parent.args.get("this") is node:
            return False
        if isinstance(parent, NUMERIC_AGGREGATES):
            return True
        node = parent
    return False


def formula_column_refs(
    sql: str, dialect: str | None = None, *, exclude: set[str] | frozenset[str] = frozenset()
) -> list[ColumnRef]:
    """Columns the formula references, first occurrence order, without ``exclude`` names.

    Unparseable SQL yields no references (validation reports the parse error)."""
    if not sql.strip() or "{{" in sql:
        return []
    try:
        trees = parse_expressions(sql, dialect)
    except ValueError:
        return []
    seen: dict[tuple[str, str], ColumnRef] = {}
    aliases: set[str] = set()
    for tree in trees:
        for alias in tree.find_all(exp.Alias):
            aliases.add(alias.alias.lower())
        for column in tree.find_all(exp.Column):
            if isinstance(column.this, exp.Star):
                continue
            name = column.name.lower()
            if not name or name in exclude:
                continue
            table = (column.table or "").lower()
            numeric = _in_numeric_value_position(column)
            key = (table, name)
            previous = seen.get(key)
            seen[key] = ColumnRef(name, table, numeric or bool(previous and previous.numeric))
    return [ref for ref in seen.values() if ref.name not in aliases]


def type_is_numeric(data_type: str) -> bool | None:
    """True/False when the warehouse type is known, None when it is empty (unknown)."""
    text = (data_type or "").lower()
    if not text:
        return None
    return any(word in text for word in NUMERIC_TYPE_WORDS)


def type_family(data_type: str) -> str:
    """A coarse family (number, text, time, boolean, other) for detecting type changes."""
    text = (data_type or "").lower()
    if not text:
        return ""
    if type_is_numeric(text):
        return "number"
    if any(w in text for w in ("char", "text", "string", "varchar")):
        return "text"
    if any(w in text for w in ("date", "time")):
        return "time"
    if "bool" in text:
        return "boolean"
    return "other"
