"""Parsing statement shapes with the lineage engine, in this process or in worker processes.

Kept free of Django so that spawned workers import only the engine (and sqlglot): they
never touch the database, and a million-row log's ~10,000 new shapes are parsed on a
second core while the main process keeps reading the log.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor

from lineage.engine import analyze

ShapeInput = tuple[int, str, str, str, str]  # key, raw SQL, dialect, default database, default schema


def parse_one(key: int, raw: str, dialect: str, database: str, schema: str) -> dict:
    result = analyze(raw, dialect=dialect or None, default_db=database or None, default_schema=schema or None)
    columns: set[tuple[str, str]] = set()
    lineage: list = []
    for col in result.columns:
        for src in col.sources:
            if src.table and src.column and src.column != "*":
                columns.add((src.table, src.column))
        if col.target.table and col.target.column != "*":
            lineage.append([col.target.table, col.target.column, col.kind,
                            sorted({(s.table, s.column) for s in col.sources if s.table and s.column != "*"})])
    return {"key": key, "statement_type": (result.statement_type or "")[:30], "reads": sorted(set(result.reads)),
            "writes": sorted(set(result.writes)), "columns": sorted(columns), "lineage": lineage,
            "error": (result.error or "")[:1000]}


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
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        if self.pool is None:
            self.results.extend(parse_many(items))
            return
        size = max(25, len(items) // self.workers)
        for start in range(0, len(items), size):
            self.futures.append(self.pool.submit(parse_many, items[start:start + size]))

    def finish(self) -> list[dict]:
        try:
            for future in self.futures:
                self.results.extend(future.result())
        finally:
            if self.pool is not None:
                self.pool.shutdown(cancel_futures=True)
        return self.results
