"""Column lineage of dbt models: parse compiled SQL with the catalog's types, store edges.

Only models whose input changed (compiled SQL, dialect, or the columns of what they read)
are parsed again. Parsing runs in worker processes on every core for large projects; the
database writes happen here, in this process, in one transaction per build.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.dbt.extract import digest
from catalog.models import Asset, AssetKind, Column, IngestRun, Project
from catalog.progress import ProgressCallback
from lineage.child_processes import parser_pool
from lineage.models import ColumnEdge, EdgeOrigin, ModelParse

logger = logging.getLogger(__name__)

PARSED_KINDS = (AssetKind.MODEL, AssetKind.SNAPSHOT)
PARALLEL_FROM = 50  # below this many models a process pool costs more than it saves


@dataclass
class ParseJob:
    asset_id: int
    sql: str
    dialect: str
    schema: dict[str, dict[str, str]]
    target: str
    default_db: str
    default_schema: str
    input_hash: str = ""


@dataclass
class BuildSummary:
    models: int = 0
    parsed: int = 0
    unchanged: int = 0
    failed: int = 0
    no_sql: int = 0
    edges: int = 0
    seconds: float = 0.0
    failures: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            k: getattr(self, k)
            for k in ("models", "parsed", "unchanged", "failed", "no_sql", "edges", "seconds")
        } | {"failures": self.failures[:200]}


def _parse(job: ParseJob) -> tuple[int, dict[str, Any]]:
    """Runs in a worker process: pure Python, no database."""
    from lineage.engine import analyze

    result = analyze(
        job.sql,
        dialect=job.dialect or None,
        schema=job.schema,
        default_db=job.default_db or None,
        default_schema=job.default_schema or None,
        target_table=job.target,
    )
    return job.asset_id, result.to_dict()


def _run_jobs(
    jobs: list[ParseJob], processes: int, progress: ProgressCallback | None
) -> Iterable[tuple[int, dict]]:
    can_fork = not multiprocessing.current_process().daemon  # Celery prefork children may not fork
    if processes > 1 and len(jobs) >= PARALLEL_FROM and can_fork:
        # fork: children inherit the loaded apps; they die with this process (parser_pool).
        with parser_pool(processes, "fork") as pool:
            for done, item in enumerate(pool.map(_parse, jobs, chunksize=16), start=1):
                if progress and done % 50 == 0:
                    progress("column lineage", int(100 * done / len(jobs)))
                yield item
        return
    for done, job in enumerate(jobs, start=1):
        if progress and done % 50 == 0:
            progress("column lineage", int(100 * done / len(jobs)))
        yield _parse(job)


def column_lineage_build(
    *,
    project: Project,
    run: IngestRun | None = None,
    processes: int | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> BuildSummary:
    """Parse every changed model of ``project`` and replace its column edges."""
    started = timezone.now()
    summary = BuildSummary()
    assets = list(
        Asset.objects.filter(project=project).values(
            "id",
            "unique_id",
            "kind",
            "relation_key",
            "compiled_code",
            "depends_on",
            "database",
            "schema",
            "removed_at",
        )
    )
    by_uid = {a["unique_id"]: a for a in assets}
    uid_of = {a["id"]: a["unique_id"] for a in assets}
    columns: dict[int, dict[str, tuple[int, str]]] = defaultdict(dict)
    for col_id, asset_id, name_key, data_type in Column.objects.filter(
        asset__project=project, removed_at__isnull=True
    ).values_list("id", "asset_id", "name_key", "data_type"):
        columns[asset_id][name_key] = (col_id, data_type)
    relation_asset = {
        a["relation_key"]: a["id"] for a in assets if a["relation_key"] and a["removed_at"] is None
    }
    previous = {p.asset_id: p for p in ModelParse.objects.filter(asset__project=project)}

    jobs: list[ParseJob] = []
    no_sql: list[int] = []
    for asset in assets:
        if (
            asset["kind"] not in PARSED_KINDS
            or asset["removed_at"] is not None
            or not asset["relation_key"]
        ):
            continue
        summary.models += 1
        if not asset["compiled_code"].strip():
            no_sql.append(asset["id"])
            continue
        schema: dict[str, dict[str, str]] = {}
        for uid in asset["depends_on"]:
            dep = by_uid.get(uid)
            if dep and dep["relation_key"]:
                schema[dep["relation_key"]] = {
                    name: dtype for name, (_id, dtype) in columns.get(dep["id"], {}).items()
                }
        job = ParseJob(
            asset["id"],
            asset["compiled_code"],
            project.dialect,
            schema,
            asset["relation_key"],
            asset["database"],
            asset["schema"],
        )
        input_hash = digest(
            [
                job.sql,
                job.dialect,
                sorted((k, sorted(v.items())) for k, v in schema.items()),
                sorted(columns.get(asset["id"], {})),
            ]
        )
        job.input_hash = input_hash
        old = previous.get(asset["id"])
        if (
            not force
            and old is not None
            and old.input_hash == input_hash
            and old.status != ModelParse.Status.NO_SQL
        ):
            summary.unchanged += 1
            if old.status == ModelParse.Status.FAILED:
                summary.failed += 1
                summary.failures.append({"model": asset["unique_id"], "error": old.error})
            continue
        jobs.append(job)

    results = dict(_run_jobs(jobs, processes or os.cpu_count() or 1, progress))

    with transaction.atomic():
        parses: list[ModelParse] = []
        parsed_ids = [job.asset_id for job in jobs] + no_sql
        ColumnEdge.objects.filter(
            downstream_asset_id__in=parsed_ids, origin=EdgeOrigin.SQL
        ).delete()
        edges: list[ColumnEdge] = []
        for job in jobs:
            result = results[job.asset_id]
            asset_columns = columns.get(job.asset_id, {})
            if result.get("error"):
                summary.failed += 1
                summary.failures.append({"model": uid_of[job.asset_id], "error": result["error"]})
                parses.append(
                    ModelParse(
                        asset_id=job.asset_id,
                        input_hash=job.input_hash,
                        status=ModelParse.Status.FAILED,
                        error=result["error"][:2000],
                        run=run,
                    )
                )
                continue
            summary.parsed += 1
            count = unresolved = 0
            seen: set[tuple[int, int]] = set()
            for lineage in result["columns"]:
                target = asset_columns.get(lineage["target"]["column"].lower())
                if target is None:
                    continue
                for source in lineage["sources"]:
                    upstream_asset = relation_asset.get(source["table"].lower())
                    upstream = (
                        columns.get(upstream_asset, {}).get(source["column"].lower())
                        if upstream_asset
                        else None
                    )
                    if upstream is None:
                        unresolved += 1
                        continue
                    pair = (upstream[0], target[0])
                    if pair in seen or pair[0] == pair[1]:
                        continue
                    seen.add(pair)
                    edges.append(
                        ColumnEdge(
                            project=project,
                            upstream_id=upstream[0],
                            downstream_id=target[0],
                            downstream_asset_id=job.asset_id,
                            kind=lineage["kind"],
                            expression=(lineage.get("expression") or "")[:2000],
                        )
                    )
                    count += 1
            summary.edges += count
            parses.append(
                ModelParse(
                    asset_id=job.asset_id,
                    input_hash=job.input_hash,
                    status=ModelParse.Status.OK,
                    edges=count,
                    unresolved_sources=unresolved,
                    run=run,
                )
            )
        for asset_id in no_sql:
            summary.no_sql += 1
            parses.append(
                ModelParse(
                    asset_id=asset_id,
                    input_hash="",
                    status=ModelParse.Status.NO_SQL,
                    error="No compiled SQL in the manifest: run `dbt compile` or `dbt build` "
                    "before `dbt docs generate`.",
                    run=run,
                )
            )
        ColumnEdge.objects.bulk_create(edges, batch_size=2000, ignore_conflicts=True)
        ModelParse.objects.bulk_create(
            parses,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["asset"],
            update_fields=[
                "input_hash",
                "status",
                "error",
                "edges",
                "unresolved_sources",
                "parsed_at",
                "run",
            ],
        )
        summary.seconds = round((timezone.now() - started).total_seconds(), 2)
        if run is not None:
            followups = dict(IngestRun.objects.get(pk=run.pk).followups or {})
            followups["column_lineage"] = summary.as_dict()
            IngestRun.objects.filter(pk=run.pk).update(followups=followups)
    return summary
