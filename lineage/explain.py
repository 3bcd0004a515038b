"""Explain one query's lineage: the shared core of the CLI, the API and the page."""

from __future__ import annotations

from typing import Any

from lineage.engine import analyze, known_dialects

MAX_SQL_CHARS = 1_000_000


class ExplainInputError(ValueError):
    """A request that cannot be explained (missing SQL, bad schema shape, unknown dialect)."""


def _schema(value: Any, where: str) -> dict[str, dict[str, str]] | None:
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict) or not all(
        isinstance(table, str) and isinstance(cols, dict) and all(isinstance(c, str) for c in cols)
        for table, cols in value.items()
    ):
        raise ExplainInputError(
            f'{where}: schema must be {{"db.schema.table": {{"column": "type"}}}}'
        )
    return {
        table: {col: "" if t is None else str(t) for col, t in cols.items()}
        for table, cols in value.items()
    }


def explain(request: dict[str, Any], *, where: str = "request") -> dict[str, Any]:
    """``{"id", "sql", "dialect", "schema", "default_db", "default_schema"}`` → result dict.

    Unparsable SQL is a result with ``error`` set, never an exception; only a request that
    is malformed itself (no SQL, a schema of the wrong shape) raises ExplainInputError.
    """
    sql = request.get("sql")
    if not isinstance(sql, str) or not sql.strip():
        raise ExplainInputError(f"{where}: 'sql' is required and must be text")
    if len(sql) > MAX_SQL_CHARS:
        raise ExplainInputError(f"{where}: 'sql' is longer than {MAX_SQL_CHARS:,} characters")
    dialect = request.get("dialect") or "ansi"
    if dialect not in known_dialects():
        raise ExplainInputError(
            f"{where}: unknown dialect {dialect!r}; known: {', '.join(known_dialects())}"
        )
    result = analyze(
        sql,
        dialect=dialect,
        schema=_schema(request.get("schema"), where),
        default_db=request.get("default_db") or None,
        default_schema=request.get("default_schema") or None,
    ).to_dict()
    return {"id": request.get("id"), **result}
