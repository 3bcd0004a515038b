"""The heartbeat of a running ingest run: proof, on its row, that its worker is alive.

An ingest writes in one long transaction, so its own connection cannot publish anything
until the end. A small thread with its own database connection (Django gives each thread
one) stamps ``IngestRun.heartbeat_at`` every few seconds instead; the beat's sweep
(``catalog.services.ingest_runs_sweep``) treats a running run whose stamp stops as the run
of a dead worker. The stamp is an UPDATE of a non-key column, which PostgreSQL lets pass
the ``FOR KEY SHARE`` locks the ingest's foreign keys take on the same row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.utils import timezone

from catalog.models import IngestRun

logger = logging.getLogger(__name__)


def _owned(run_id: int, attempt: int):
    """The run while ``attempt`` still owns it: a run re-claimed by another worker has a
    higher attempt, and a finished one is no longer running."""
    return IngestRun.objects.filter(pk=run_id, status=IngestRun.Status.RUNNING, attempts=attempt)


class RunSuperseded(Exception):
    """This attempt no longer owns its run: the sweep judged its worker dead (a heartbeat
    that did not arrive in time) and another attempt took the run over."""


def ingest_run_finish(run: IngestRun, **fields) -> None:
    """Write a run's outcome from inside its ingest transaction, fenced by its attempt: if
    another attempt has taken the run over, raise :class:`RunSuperseded`, which rolls this
    attempt's whole transaction back, so the run is written once, by the attempt that owns
    it, and never counted twice (the newer attempt, waiting on the project's lock, then
    does the work itself)."""
    if not _owned(run.pk, run.attempts).update(**fields):
        raise RunSuperseded(
            f"ingest run {run.pk}: attempt {run.attempts} was taken over by a newer attempt"
        )


def heartbeat_supported() -> bool:
    """SQLite lets one connection write at a time: while the ingest's transaction holds the
    database the heartbeat could never be written, so on SQLite there is none (and a run
    counts as stale only after the task time limit, as before)."""
    return connection.vendor != "sqlite"


def ingest_run_stale_seconds() -> int:
    """How long a running run may go without a heartbeat before its worker counts as dead."""
    if heartbeat_supported():
        return settings.LEXICON_INGEST_STALE_SECONDS
    return settings.CELERY_TASK_TIME_LIMIT


def _beat(run_id: int, attempt: int) -> int:
    return _owned(run_id, attempt).update(heartbeat_at=timezone.now())


@contextmanager
def ingest_run_heartbeat(
    run_id: int, *, attempt: int, interval: float | None = None
) -> Iterator[None]:
    """Stamp the run's heartbeat every ``interval`` seconds (LEXICON_INGEST_HEARTBEAT_SECONDS)
    while the block runs. The thread closes its connection when the block ends."""
    if not heartbeat_supported():
        yield
        return
    interval = settings.LEXICON_INGEST_HEARTBEAT_SECONDS if interval is None else interval
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    if not _beat(run_id, attempt):
                        return  # finished, failed or taken over: nothing left to vouch for
                except DatabaseError as exc:
                    # A dropped connection: say so and reconnect on the next beat. A run whose
                    # beats keep failing is queued again by the sweep, which is the right outcome.
                    logger.warning("ingest run %s: heartbeat not written: %s", run_id, exc)
                    connections.close_all()
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=beat, name=f"ingest-run-{run_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=max(5.0, interval))
