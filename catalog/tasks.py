"""Celery entry points of the catalog: ids in, a service call, nothing else."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from catalog import services


@shared_task(
    name="catalog.tasks.ingest_dbt_run",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
)
def ingest_dbt_run(run_id: int) -> str:
    """Execute one queued dbt ingest run; a second delivery finds it claimed and returns."""
    return services.ingest_run_execute(run_id=run_id).status
