"""Crash recovery of ingest runs: a run whose worker died comes back (or fails, saying so)
within a minute, and a run whose message was lost is sent again."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from celery import current_app
from django.db import connection, transaction
from django.utils import timezone

from catalog.heartbeat import ingest_run_stale_seconds
from catalog.models import Asset, IngestRun, Project
from catalog.services import (
    ingest_run_claim,
    ingest_run_create_from_paths,
    ingest_run_guarded,
    ingest_runs_sweep,
)
from tests.factories import EXAMPLE_TARGET, ingest_ok
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Messages the sweep hands to the broker: (task name, run id, expires)."""
    import catalog.tasks  # noqa: F401 - registered, as in a worker
    import lineage.tasks  # noqa: F401

    out = []
    for name in ("catalog.tasks.ingest_dbt_run", "lineage.tasks.ingest_querylog_run"):
        task = current_app.tasks[name]
        monkeypatch.setattr(
            task,
            "apply_async",
            lambda args, expires=None, _name=name, **kw: out.append((_name, args[0], expires)),
        )
    return out


def _dead_worker_run(
    *,
    attempts: int = 1,
    trigger: str = IngestRun.Trigger.API,
    kind: str = IngestRun.Kind.DBT,
    silent_for: int | None = None,
) -> IngestRun:
    """A run a worker started and then stopped stamping: its heartbeat is past the stale age."""
    silent_for = ingest_run_stale_seconds() + 5 if silent_for is None else silent_for
    run = ingest_run_create_from_paths(paths=[EXAMPLE_TARGET], trigger=trigger)
    then = timezone.now() - timedelta(seconds=silent_for)
    IngestRun.objects.filter(pk=run.pk).update(
        kind=kind,
        status=IngestRun.Status.RUNNING,
        attempts=attempts,
        started_at=then,
        heartbeat_at=then,
        phase="writing assets",
    )
    return IngestRun.objects.get(pk=run.pk)


def test_a_run_whose_worker_stopped_is_queued_again_and_sent(
    sent, django_capture_on_commit_callbacks
):
    run = _dead_worker_run()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = ingest_runs_sweep()
    run.refresh_from_db()
    assert outcome.requeued == [run.pk]
    assert run.status == IngestRun.Status.QUEUED
    assert run.phase == "queued again: its worker stopped"
    assert sent == [("catalog.tasks.ingest_dbt_run", run.pk, None)]


def test_a_queued_again_run_then_succeeds_on_its_second_attempt(django_capture_on_commit_callbacks):
    import catalog.tasks  # noqa: F401 - registered, as in a worker

    run = _dead_worker_run()
    with django_capture_on_commit_callbacks(execute=True):  # tasks run in-process in tests
        ingest_runs_sweep()
    run.refresh_from_db()
    assert run.status == IngestRun.Status.SUCCEEDED, run.error
    assert run.attempts == 2
    assert Asset.objects.filter(project__name="saas_analytics", kind="model").exists()


def test_after_the_last_attempt_the_run_fails_saying_why(sent, settings):
    settings.LEXICON_INGEST_MAX_ATTEMPTS = 3
    run = _dead_worker_run(attempts=3)
    outcome = ingest_runs_sweep()
    run.refresh_from_db()
    assert outcome.failed == [run.pk]
    assert run.status == IngestRun.Status.FAILED
    assert run.error == (
        "The worker running this ingest stopped (attempt 3 of 3); nothing was changed. "
        "Re-run the ingest."
    )
    assert run.finished_at is not None
    assert sent == []


def test_a_run_with_a_fresh_heartbeat_is_left_alone(sent):
    run = _dead_worker_run(silent_for=2)
    outcome = ingest_runs_sweep()
    run.refresh_from_db()
    assert outcome.requeued == outcome.failed == outcome.resent == []
    assert run.status == IngestRun.Status.RUNNING
    assert sent == []


def test_a_query_log_run_is_sent_to_the_query_log_task(sent, django_capture_on_commit_callbacks):
    run = _dead_worker_run(kind=IngestRun.Kind.QUERY_LOG)
    with django_capture_on_commit_callbacks(execute=True):
        ingest_runs_sweep()
    assert sent == [("lineage.tasks.ingest_querylog_run", run.pk, None)]


def test_a_query_log_run_queued_again_then_succeeds(tmp_path, django_capture_on_commit_callbacks):
    import lineage.tasks  # noqa: F401 - registered, as in a worker
    from lineage.services import querylog_run_create_from_path
    from tests.lineage.querylog.helpers import row, write_log

    log = write_log(tmp_path / "q.csv", [row("q1", "select * from saas.marts.fct_revenue")])
    run = querylog_run_create_from_path(path=log, source_name="snow", trigger=IngestRun.Trigger.API)
    then = timezone.now() - timedelta(seconds=ingest_run_stale_seconds() + 5)
    IngestRun.objects.filter(pk=run.pk).update(
        status=IngestRun.Status.RUNNING, attempts=1, started_at=then, heartbeat_at=then
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest_runs_sweep().requeued == [run.pk]
    run.refresh_from_db()
    assert (run.status, run.attempts) == (IngestRun.Status.SUCCEEDED, 2), run.error
    assert run.counts["statements"]["added"] == 1


def test_a_command_line_run_whose_process_stopped_is_failed_not_sent_to_a_worker(sent):
    run = _dead_worker_run(trigger=IngestRun.Trigger.CLI)
    ingest_runs_sweep()
    run.refresh_from_db()
    assert run.status == IngestRun.Status.FAILED
    assert run.error.startswith(
        "The command running this ingest stopped before it finished; nothing was changed."
    )
    assert sent == []


def test_a_run_queued_too_long_is_sent_again_once_per_period(
    sent, settings, django_capture_on_commit_callbacks
):
    settings.LEXICON_INGEST_RESEND_SECONDS = 120
    run = ingest_run_create_from_paths(paths=[EXAMPLE_TARGET], trigger=IngestRun.Trigger.API)
    fresh = ingest_run_create_from_paths(paths=[EXAMPLE_TARGET], trigger=IngestRun.Trigger.API)
    IngestRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    with django_capture_on_commit_callbacks(execute=True):
        first = ingest_runs_sweep()
        second = ingest_runs_sweep()
    assert first.resent == [run.pk]
    assert second.resent == []  # queued_at moved: not again before another period
    # The copy lives one period, so a run waiting behind a long ingest gathers no pile of copies.
    assert sent == [("catalog.tasks.ingest_dbt_run", run.pk, 120)]
    assert IngestRun.objects.get(pk=fresh.pk).queued_at is None


def test_the_claim_takes_over_a_stale_run_but_never_a_live_one():
    stale = _dead_worker_run()
    live = _dead_worker_run(silent_for=1)
    assert ingest_run_claim(live.pk, phase="x") is None
    assert ingest_run_claim(stale.pk, phase="x") == 2
    assert ingest_run_claim(stale.pk, phase="x") is None  # the second delivery finds it taken
    stale.refresh_from_db()
    assert (stale.status, stale.attempts) == (IngestRun.Status.RUNNING, 2)


def test_the_claim_leaves_a_stale_run_at_its_last_attempt_to_the_sweep(settings):
    settings.LEXICON_INGEST_MAX_ATTEMPTS = 3
    run = _dead_worker_run(attempts=3)
    assert ingest_run_claim(run.pk, phase="x") is None


def test_without_a_heartbeat_sqlite_counts_a_run_stale_only_after_the_task_time_limit(settings):
    # SQLite cannot take the heartbeat's write while the ingest's transaction holds the database.
    expected = (
        settings.CELERY_TASK_TIME_LIMIT
        if connection.vendor == "sqlite"
        else settings.LEXICON_INGEST_STALE_SECONDS
    )
    assert ingest_run_stale_seconds() == expected


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_stamps_the_row_while_the_ingest_transaction_is_open(settings):
    require_postgres()
    settings.LEXICON_INGEST_HEARTBEAT_SECONDS = 0.3
    run = IngestRun.objects.create(trigger=IngestRun.Trigger.API)
    seen = []
    threads_during = []

    def work(run, report):
        with transaction.atomic():  # one long transaction, as an ingest writes
            Project.objects.create(name="heartbeat-test")
            IngestRun.objects.filter(pk=run.pk).values_list("heartbeat_at", flat=True).get()
            for _ in range(4):
                time.sleep(0.5)
                seen.append(
                    IngestRun.objects.filter(pk=run.pk).values_list("heartbeat_at", flat=True).get()
                )
            threads_during.append({t.name for t in threading.enumerate()})

    done = ingest_run_guarded(run_id=run.pk, work=work, expected=(), phase="x")
    assert done.status == IngestRun.Status.RUNNING  # this work does not finish the run itself
    assert len(set(seen)) >= 3, seen  # the stamp moved while the transaction stayed open
    assert f"ingest-run-{run.pk}-heartbeat" in threads_during[0]
    time.sleep(0.1)
    assert f"ingest-run-{run.pk}-heartbeat" not in {t.name for t in threading.enumerate()}


def test_an_interrupted_command_fails_its_run():
    run = ingest_run_create_from_paths(paths=[EXAMPLE_TARGET])

    def work(run, report):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_run_guarded(run_id=run.pk, work=work, expected=(), phase="x")
    run.refresh_from_db()
    assert run.status == IngestRun.Status.FAILED
    assert run.error.startswith("Interrupted before it finished; nothing was changed.")


def test_a_clean_ingest_counts_one_attempt():
    run = ingest_ok(EXAMPLE_TARGET)
    assert run.attempts == 1
    assert run.heartbeat_at is not None


def test_an_attempt_taken_over_mid_ingest_keeps_nothing_and_leaves_the_run_to_the_newer_one(
    monkeypatch,
):
    """The sweep may judge a slow worker dead; its attempt must then not write the run (nor
    its counts) over the newer attempt's."""
    import catalog.services as services

    real_write = services.dbt_ingest_write

    def taken_over_meanwhile(run, *args, **kwargs):
        # While this attempt works, the sweep queues the run again and a second worker claims it.
        IngestRun.objects.filter(pk=run.pk).update(
            attempts=run.attempts + 1, heartbeat_at=timezone.now()
        )
        return real_write(run, *args, **kwargs)

    monkeypatch.setattr(services, "dbt_ingest_write", taken_over_meanwhile)
    run = ingest_run_create_from_paths(paths=[EXAMPLE_TARGET], trigger=IngestRun.Trigger.API)
    services.ingest_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert (
        run.status == IngestRun.Status.RUNNING and run.attempts == 2
    )  # the newer attempt's, untouched
    assert run.counts == {} and run.finished_at is None
    assert (
        not Asset.objects.exists() and not Project.objects.exists()
    )  # the old attempt's work rolled back
