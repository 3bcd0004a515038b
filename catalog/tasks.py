"""Celery entry points of the catalog: ids in, a service call, nothing else."""

from __future__ import annotations

from celery import shared_task

from catalog import services
from lexicon_core.tasks import idempotent_task_options


@shared_task(name="catalog.tasks.ingest_dbt_run", **idempotent_task_options())
def ingest_dbt_run(run_id: int) -> str:
    """Execute one queued dbt ingest run; a second delivery finds it claimed and returns."""
    return services.ingest_run_execute(run_id=run_id).status


@shared_task(name="catalog.tasks.ingest_runs_sweep", time_limit=60, soft_time_limit=50)
def ingest_runs_sweep() -> dict[str, list[int]]:
    """Beat, every 15 seconds: runs of dead workers queued again (or failed), lost messages
    re-sent."""
    return services.ingest_runs_sweep().as_dict()
