"""Celery entry points of governance: a service call, nothing else."""

from __future__ import annotations

from celery import shared_task

from lexicon_core.tasks import idempotent_task_options


@shared_task(
    name="governance.tasks.scorecard_snapshot", **idempotent_task_options(retries=3, backoff=30)
)
def scorecard_snapshot() -> dict:
    """Refresh PII propagation (column lineage may have changed since), then store today's
    scorecard; running it again the same day replaces that day's numbers."""
    from catalog.models import Project
    from governance.pii.sync import pii_propagation_sync
    from governance.scorecard import scorecard_snapshot_take

    project_ids = list(Project.objects.values_list("pk", flat=True))
    if project_ids:
        pii_propagation_sync(project_ids=project_ids)
    snapshot = scorecard_snapshot_take()
    return {"day": snapshot.day.isoformat(), "values": snapshot.values}


@shared_task(name="governance.tasks.pii_propagation_refresh", **idempotent_task_options())
def pii_propagation_refresh(project_id: int) -> dict:
    """Lineage suggestions of one project recomputed from its confirmed PII columns; safe to
    run twice."""
    from django.db import transaction

    from governance.pii.sync import pii_propagation_sync

    with transaction.atomic():
        return pii_propagation_sync(project_ids=[project_id]).as_dict()
