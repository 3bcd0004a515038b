"""Every task can be sent as configured: limits Celery accepts, beat entries that become
messages."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import beat

from catalog.services import INGEST_RUN_TASKS
from config.celery import QUEUE_DEFAULT, QUEUE_INGEST
from config.celery import app as celery_app
from config.schedules import BEAT_SCHEDULE

ROOT = Path(__file__).resolve().parents[2]
OUR_APPS = ("catalog.", "lineage.", "governance.", "metrics_dictionary.", "config.")


def _our_tasks() -> dict:
    # What a worker imports at start: every app's tasks module and the ``imports`` setting.
    celery_app.autodiscover_tasks(force=True)
    for module in celery_app.conf.imports:
        importlib.import_module(module)
    return {name: task for name, task in celery_app.tasks.items() if name.startswith(OUR_APPS)}


def test_every_task_has_a_time_limit_and_a_soft_limit_within_it():
    tasks = _our_tasks()
    assert len(tasks) >= 10
    conf = celery_app.conf
    for name, task in tasks.items():
        hard = task.time_limit or conf.task_time_limit
        soft = task.soft_time_limit or conf.task_soft_time_limit
        assert hard, f"{name} has no time limit"
        assert soft and soft <= hard, f"{name}: soft limit {soft} s is over its hard limit {hard} s"


def test_every_run_kind_has_a_registered_task():
    tasks = _our_tasks()
    for kind, name in INGEST_RUN_TASKS.items():
        assert name in tasks, (kind, name)


@pytest.fixture
def memory_producer():
    """A producer on an in-memory broker: messages are built and published, nowhere delivered."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with celery_app.connection_for_write("memory://") as conn:
            yield celery_app.amqp.Producer(conn)
    finally:
        celery_app.conf.task_always_eager = previous


@pytest.mark.parametrize("name", sorted(BEAT_SCHEDULE))
def test_beat_turns_every_schedule_entry_into_a_message(name, memory_producer):
    spec = BEAT_SCHEDULE[name]
    assert spec["task"] in _our_tasks(), f"{name}: no registered task {spec['task']}"
    expires = spec.get("options", {}).get("expires")
    period = spec["schedule"].remaining_estimate(spec["schedule"].now()).total_seconds()
    assert expires, f"{name} has no expiry"
    scheduler = beat.Scheduler(celery_app, lazy=True)
    entry = beat.ScheduleEntry(
        name=name,
        task=spec["task"],
        schedule=spec["schedule"],
        options=spec.get("options", {}),
        app=celery_app,
    )
    # The call beat makes when the entry is due (SchedulingError if Celery refuses the task).
    result = scheduler.apply_async(entry, producer=memory_producer, advance=False)
    assert result.id
    assert period <= 24 * 3600


def test_the_sweep_runs_on_the_default_queue_and_ingests_on_the_ingest_queue():
    route = celery_app.amqp.router.route
    assert route({}, "catalog.tasks.ingest_runs_sweep")["queue"].name == QUEUE_DEFAULT
    assert route({}, "catalog.tasks.ingest_dbt_run")["queue"].name == QUEUE_INGEST
    assert route({}, "lineage.tasks.ingest_querylog_run")["queue"].name == QUEUE_INGEST
    assert route({}, "config.tasks.heartbeat")["queue"].name == QUEUE_DEFAULT


def test_the_visibility_timeout_outlasts_the_longest_task(settings):
    timeout = celery_app.conf.broker_transport_options["visibility_timeout"]
    assert timeout > settings.CELERY_TASK_TIME_LIMIT + 300


def _check_with(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "LEXICON_INGEST_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "DEBUG": "true", **env},
    )


def test_a_global_soft_limit_at_or_over_the_hard_limit_is_refused_at_startup():
    result = _check_with({"CELERY_TASK_TIME_LIMIT": "600"})
    assert result.returncode != 0
    assert (
        "CELERY_TASK_SOFT_TIME_LIMIT (3300) must be below CELERY_TASK_TIME_LIMIT (600)"
        in result.stderr
    )


def test_an_ingest_stale_age_under_three_heartbeats_is_refused_at_startup():
    result = _check_with(
        {"LEXICON_INGEST_HEARTBEAT_SECONDS": "20", "LEXICON_INGEST_STALE_SECONDS": "45"}
    )
    assert result.returncode != 0
    assert "LEXICON_INGEST_STALE_SECONDS (45) must be at least three heartbeats" in result.stderr
