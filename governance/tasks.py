"""Celery entry points of governance: a service call, nothing else."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError


@shared_task(
    name="governance.tasks.scorecard_snapshot",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    max_retries=3,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
)
def scorecard_snapshot() -> dict:
    """Refresh PII propagation (column lineage may have changed since), then store today's
    scorecard; running it again the same day replaces that day's numbers."""
    from catalog.models import Project
    from governance.pii import pii_propagation_sync
    from governance.scorecard import scorecard_snapshot_take

    project_ids = list(Project.objects.values_list("pk", flat=True))
    if project_ids:
        pii_propagation_sync(project_ids=project_ids)
    snapshot = scorecard_snapshot_take()
    return {"day": snapshot.day.isoformat(), "values": snapshot.values}
