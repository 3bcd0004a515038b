"""Celery entry points of lineage: ids in, a service call, nothing else."""

from __future__ import annotations

from celery import shared_task

from lexicon_core.tasks import idempotent_task_options


@shared_task(name="lineage.tasks.ingest_column_lineage", **idempotent_task_options())
def ingest_column_lineage(run_id: int) -> dict:
    """Column lineage for the models an ingest run changed; safe to run twice (unchanged
    models are skipped by their input digest)."""
    from catalog.models import IngestRun
    from lineage.column_lineage import column_lineage_build

    run = IngestRun.objects.select_related("project").get(pk=run_id)
    if run.project is None or run.status != IngestRun.Status.SUCCEEDED:
        return {"skipped": True}
    return column_lineage_build(project=run.project, run=run).as_dict()


@shared_task(name="lineage.tasks.ingest_querylog_run", **idempotent_task_options())
def ingest_querylog_run(run_id: int) -> str:
    """Execute one queued query-log run; a second delivery finds it claimed and returns."""
    from lineage.services import querylog_run_execute

    return querylog_run_execute(run_id=run_id).status


@shared_task(name="lineage.tasks.ingest_querylog_pull", **idempotent_task_options(retries=3))
def ingest_querylog_pull(source_id: int) -> str:
    """Pull one live source (pg_stat_statements); the deltas and the counters commit together."""
    from lineage.services import querylog_pull

    return querylog_pull(source_id=source_id).status


@shared_task(name="lineage.tasks.ingest_querylog_pull_live", time_limit=60, soft_time_limit=50)
def ingest_querylog_pull_live() -> int:
    """Beat entry: queue a pull of every live source."""
    from lineage.models import QueryLogSource

    sources = [
        s.pk for s in QueryLogSource.objects.filter(format="pg_stat_statements") if s.is_live
    ]
    for source_id in sources:
        ingest_querylog_pull.delay(source_id)
    return len(sources)


@shared_task(name="lineage.tasks.usage_popularity_refresh", time_limit=600, soft_time_limit=540)
def usage_popularity_refresh() -> int:
    """Beat entry: 30-day reads and popularity move with the calendar even when no log arrives."""
    from django.db import transaction

    from lineage.models import AssetUsage
    from lineage.querylog.write import usage_refresh

    ids = set(AssetUsage.objects.values_list("asset_id", flat=True))
    with transaction.atomic():
        usage_refresh(ids)
    return len(ids)
