"""kill -9 of a real ingest worker in the middle of a dbt ingest: the run comes back through
the sweep (not after the broker's hour-long visibility timeout) and ends exactly as a clean
ingest would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from catalog.models import Asset, Column, DataTest, IngestRun
from catalog.services import ingest_run_create_from_paths, ingest_runs_sweep
from config.celery import app as celery_app
from tests.factories import EXAMPLE_TARGET, ingest_ok
from tests.services import database_url as services_database_url
from tests.services import require_postgres, require_redis

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres, pytest.mark.redis]


def _database_url() -> str:
    return services_database_url()


class IngestWorker:
    """``celery -A config worker -Q ingest --pool solo`` as production runs it, against the
    test database."""

    def __init__(self, name: str, log: Path, env: dict[str, str]):
        self.log = log.open("w+")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "ingest",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--hostname",
                f"{name}-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.name = f"{name}-{os.getpid()}@"

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"celery worker exited early:\n{self.output()}")
            replies = celery_app.control.ping(timeout=0.5)
            if any(self.name in host for reply in replies for host in reply):
                return
        pytest.fail(f"celery worker did not answer within {timeout}s:\n{self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def _counts(name: str) -> dict[str, int]:
    return {
        "assets": Asset.objects.filter(project__name=name, removed_at__isnull=True).count(),
        "columns": Column.objects.filter(
            asset__project__name=name, removed_at__isnull=True
        ).count(),
        "tests": DataTest.objects.filter(project__name=name, removed_at__isnull=True).count(),
    }


def _drop_unacked(redis_url: str, task_id: str) -> None:
    """The killed worker's message waits in Redis for the visibility timeout (over an hour);
    remove it so that it never reaches a later test run's database."""
    import redis

    client = redis.Redis.from_url(redis_url)
    for tag, raw in client.hgetall("unacked").items():
        if json.loads(raw)[0].get("headers", {}).get("id") == task_id:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


def test_a_killed_ingest_worker_s_run_is_run_again_and_ends_like_a_clean_ingest(
    transactional_db, tmp_path, settings
):
    require_postgres()
    redis_url = require_redis()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.LEXICON_COLUMN_LINEAGE_AFTER_INGEST = False
    settings.LEXICON_INGEST_STALE_SECONDS = 5
    previous_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    paused = tmp_path / "paused"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "SECRET_KEY": "worker-test-only",
        "DEBUG": "false",
        "LEXICON_COLUMN_LINEAGE_AFTER_INGEST": "false",
        "LEXICON_INGEST_HEARTBEAT_SECONDS": "1",
        "LEXICON_INGEST_STALE_SECONDS": "5",
    }
    slow = IngestWorker(
        "slow",
        tmp_path / "slow.log",
        {
            **env,
            "DJANGO_SETTINGS_MODULE": "tests.integration.slow_ingest_settings",
            "LEXICON_TEST_PAUSED_FILE": str(paused),
        },
    )
    healthy = None
    task_id = None
    try:
        slow.wait_ready()
        from catalog.tasks import ingest_dbt_run

        run = ingest_run_create_from_paths(
            paths=[EXAMPLE_TARGET], project_name="killed-mid-ingest", trigger=IngestRun.Trigger.API
        )
        task_id = ingest_dbt_run.apply_async((run.pk,)).id
        # Rows written, transaction open, the heartbeat thread stamping the run.
        _wait_for(paused.exists, 90, f"the ingest to reach its pause:\n{slow.output()}")
        first = IngestRun.objects.get(pk=run.pk).heartbeat_at
        _wait_for(lambda: IngestRun.objects.get(pk=run.pk).heartbeat_at > first, 10, "a heartbeat")
        assert IngestRun.objects.get(pk=run.pk).status == IngestRun.Status.RUNNING

        slow.proc.send_signal(signal.SIGKILL)
        slow.proc.wait(timeout=10)
        # The dead worker's transaction is rolled back: nothing of the run is in the catalog.
        assert _counts("killed-mid-ingest")["assets"] == 0
        assert IngestRun.objects.get(pk=run.pk).status == IngestRun.Status.RUNNING
        # A sweep leaves it alone while its heartbeat is recent ...
        assert ingest_runs_sweep().requeued == []

        healthy = IngestWorker("restarted", tmp_path / "restarted.log", env)
        healthy.wait_ready()
        stale_at = (
            IngestRun.objects.get(pk=run.pk).heartbeat_at.timestamp()
            + settings.LEXICON_INGEST_STALE_SECONDS
        )
        time.sleep(max(0.0, stale_at - time.time()) + 1)
        # ... and once it is stale, one sweep (beat runs it every 15 seconds) queues it again
        # and sends it.
        assert ingest_runs_sweep().requeued == [run.pk]
        done = _wait_for(
            lambda: (r := IngestRun.objects.get(pk=run.pk)).is_finished and r,
            90,
            f"the run to finish:\n{healthy.output()}",
        )
        assert done.status == IngestRun.Status.SUCCEEDED, done.error
        assert done.attempts == 2
    finally:
        celery_app.conf.task_always_eager = previous_eager
        slow.stop()
        if healthy:
            healthy.stop()
        if task_id:
            _drop_unacked(redis_url, task_id)
        celery_app.control.purge()  # follow-up tasks the ingests queued for a default worker

    celery_app.conf.task_always_eager = True
    ingest_ok(EXAMPLE_TARGET, project="clean-ingest")
    assert _counts("killed-mid-ingest") == _counts("clean-ingest")
    assert _counts("clean-ingest")["assets"] > 10
