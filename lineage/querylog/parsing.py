"""Parsing statement shapes with the lineage engine, in this process or in worker processes.

Kept free of Django so that spawned workers import only the engine (and sqlglot): they
never touch the database, and a million-row log's ~10,000 new shapes are parsed on a
second core while the main process keeps reading the log.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor

import sqlglot
from sqlglot import exp

from lineage.child_processes import parser_pool
from lineage.engine import analyze

ShapeInput = tuple[
    int, str, str, str, str
]  # key, raw SQL, dialect, default database, default schema


def parse_one(key: int, raw: str, dialect: str, database: str, schema: str) -> dict:
    result = analyze(
        raw, dialect=dialect or None, default_db=database or None, default_schema=schema or None
    )
    columns: set[tuple[str, str]] = set()
    lineage: list = []
    for col in result.columns:
        for src in col.sources:
            if src.table and src.column and src.column != "*":
                columns.add((src.table, src.column))
        if col.target.table and col.target.column != "*":
            lineage.append(
                [
                    col.target.table,
                    col.target.column,
                    col.kind,
                    sorted(
                        {(s.table, s.column) for s in col.sources if s.table and s.column != "*"}
                    ),
                ]
            )
    filters = _referenced_columns(raw, dialect) - columns if not result.error else set()
    return {
        "key": key,
        "statement_type": (result.statement_type or "")[:30],
        "reads": sorted(set(result.reads)),
        "writes": sorted(set(result.writes)),
        "columns": sorted(columns),
        "filters": sorted(filters),
        "lineage": lineage,
        "error": (result.error or "")[:1000],
    }


def _referenced_columns(raw: str, dialect: str) -> set[tuple[str, str]]:
    """Columns named anywhere in the statement (WHERE, JOIN, GROUP BY, ...), with the table
    they belong to as written: through its alias, or the only table when unqualified. The
    lineage engine reports the select list; this adds the columns people filter and join on.
    Names that are not real columns (select-list aliases) are dropped later, when they do
    not match a cataloged column."""
    try:
        tree = sqlglot.parse_one(raw, read=dialect or None)
    except (sqlglot.errors.SqlglotError, RecursionError, ValueError):
        return set()
    if tree is None:
        return set()
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    tables: dict[str, str] = {}
    names: set[str] = set()
    for table in tree.find_all(exp.Table):
        if not table.name or table.name.lower() in ctes:
            continue
        full = ".".join(part for part in (table.catalog, table.db, table.name) if part).lower()
        names.add(full)
        tables[table.alias_or_name.lower()] = full
        tables.setdefault(table.name.lower(), full)
    only = next(iter(names)) if len(names) == 1 else None
    out: set[tuple[str, str]] = set()
    for column in tree.find_all(exp.Column):
        if isinstance(column.this, exp.Star) or not column.name:
            continue
        qualifier = column.table.lower()
        full = tables.get(qualifier) if qualifier else only
        if full:
            out.add((full, column.name.lower()))
    return out


def parse_many(items: list[ShapeInput]) -> list[dict]:
    return [parse_one(*item) for item in items]


class ShapeParser:
    """Parses batches of shapes: in this process for small runs, in ``workers`` spawned
    processes once a run has more than ``threshold`` new shapes (not inside a daemonic
    process such as a Celery prefork child, which may not have children)."""

    def __init__(self, workers: int, threshold: int = 300):
        self.workers = workers
        self.threshold = threshold
        self.submitted = 0
        self.results: list[dict] = []
        self.futures: list[Future] = []
        self.pool: ProcessPoolExecutor | None = None

    def _can_fork(self) -> bool:
        return self.workers > 1 and not multiprocessing.current_process().daemon

    def submit(self, items: list[ShapeInput]) -> None:
        if not items:
            return
        self.submitted += len(items)
        if self.pool is None and self.submitted > self.threshold and self._can_fork():
            self.pool = parser_pool(self.workers, "spawn")  # its children die with this process
        if self.pool is None:
            self.results.extend(parse_many(items))
            return
        size = max(25, len(items) // self.workers)
        for start in range(0, len(items), size):
            self.futures.append(self.pool.submit(parse_many, items[start : start + size]))

    def finish(self) -> list[dict]:
        try:
            for future in self.futures:
                self.results.extend(future.result())
        finally:
            if self.pool is not None:
                self.pool.shutdown(cancel_futures=True)
        return self.results
