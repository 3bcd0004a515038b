"""Celery entry points of lineage: ids in, a service call, nothing else."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError


@shared_task(
    name="lineage.tasks.ingest_column_lineage",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=5,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
)
def ingest_column_lineage(run_id: int) -> dict:
    """Column lineage for the models an ingest run changed; safe to run twice (unchanged
    models are skipped by their input digest)."""
    from catalog.models import IngestRun
    from lineage.column_lineage import column_lineage_build

    run = IngestRun.objects.select_related("project").get(pk=run_id)
    if run.project is None or run.status != IngestRun.Status.SUCCEEDED:
        return {"skipped": True}
    return column_lineage_build(project=run.project, run=run).as_dict()
