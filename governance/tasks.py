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


@shared_task(
    name="governance.tasks.pii_propagation_refresh",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=5,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
)
def pii_propagation_refresh(project_id: int) -> dict:
    """Lineage suggestions of one project recomputed from its confirmed PII columns; safe to run twice."""
    from django.db import transaction

    from governance.pii import pii_propagation_sync

    with transaction.atomic():
        return pii_propagation_sync(project_ids=[project_id]).as_dict()
