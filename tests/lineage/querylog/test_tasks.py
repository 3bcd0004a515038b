"""The Celery side: query-log tasks on the ingest queue, the beat pull of live sources."""

from __future__ import annotations

import pytest

from config.schedules import BEAT_SCHEDULE


def test_live_sources_are_pulled_on_a_schedule_that_expires_before_the_next_run():
    entry = BEAT_SCHEDULE["querylog-pull-live"]
    assert entry["task"] == "lineage.tasks.ingest_querylog_pull_live"
    assert entry["options"]["expires"] < 15 * 60


def test_query_log_tasks_run_on_the_ingest_queue():
    from config.celery import app

    router = app.amqp.router
    for name in (
        "lineage.tasks.ingest_querylog_run",
        "lineage.tasks.ingest_querylog_pull",
        "lineage.tasks.ingest_querylog_pull_live",
    ):
        assert router.route({}, name)["queue"].name == "ingest"


@pytest.mark.django_db
def test_the_beat_task_queues_a_pull_of_each_live_source_only(monkeypatch):
    from lineage import tasks
    from lineage.services import querylog_source_upsert

    querylog_source_upsert(
        name="live", dialect="postgres", format="pg_stat_statements", url="postgres://h/db"
    )
    querylog_source_upsert(name="files", dialect="snowflake", format="snowflake")
    queued = []
    monkeypatch.setattr(tasks.ingest_querylog_pull, "delay", queued.append)
    assert tasks.ingest_querylog_pull_live() == 1
    from lineage.models import QueryLogSource

    assert queued == [QueryLogSource.objects.get(name="live").pk]


@pytest.mark.django_db
def test_popularity_decays_when_reads_age_out_of_the_30_days(example_catalog, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from catalog.models import Asset, SearchDocument
    from lineage import tasks
    from lineage.models import AssetUsageDay
    from tests.lineage.querylog.helpers import ingest_log_ok, row, write_log

    ingest_log_ok(
        write_log(
            tmp_path / "q.csv",
            [
                row(
                    f"q{n}",
                    f"select 1 from saas.marts.fct_revenue where a={n}",
                    when=timezone.now(),
                )
                for n in range(9)
            ],
        )
    )
    revenue = Asset.objects.get(name="fct_revenue")
    assert SearchDocument.objects.get(asset=revenue).popularity > 0
    AssetUsageDay.objects.filter(asset=revenue).update(
        day=timezone.now().date() - timedelta(days=45)
    )
    assert tasks.usage_popularity_refresh() >= 1
    assert SearchDocument.objects.get(asset=revenue).popularity == 0
