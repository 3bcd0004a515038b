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
    for name in ("lineage.tasks.ingest_querylog_run", "lineage.tasks.ingest_querylog_pull",
                 "lineage.tasks.ingest_querylog_pull_live"):
        assert router.route({}, name)["queue"].name == "ingest"


@pytest.mark.django_db
def test_the_beat_task_queues_a_pull_of_each_live_source_only(monkeypatch):
    from lineage import tasks
    from lineage.services import querylog_source_upsert

    querylog_source_upsert(name="live", dialect="postgres", format="pg_stat_statements", url="postgres://h/db")
    querylog_source_upsert(name="files", dialect="snowflake", format="snowflake")
    queued = []
    monkeypatch.setattr(tasks.ingest_querylog_pull, "delay", queued.append)
    assert tasks.ingest_querylog_pull_live() == 1
    from lineage.models import QueryLogSource

    assert queued == [QueryLogSource.objects.get(name="live").pk]
