"""The Celery app: Redis broker, two named queues, time limits, beat schedule.

Queues are named here and nowhere else. Tasks that are safe to run twice declare
``acks_late=True`` themselves, so a worker that dies mid-task hands the job back (after the
broker's visibility timeout; ingest runs come back sooner, through the ingest-runs sweep).
"""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

QUEUE_DEFAULT = "default"
QUEUE_INGEST = "ingest"


def _visibility_timeout() -> int:
    from django.conf import settings

    return (
        settings.CELERY_TASK_TIME_LIMIT + 300 + 300
    )  # the longest task, the longest retry countdown, a margin


app = Celery("lexicon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_default_queue=QUEUE_DEFAULT,
    task_queues=(Queue(QUEUE_DEFAULT), Queue(QUEUE_INGEST)),
    task_routes={
        # The sweep must run while the ingest worker is busy or dead: it is what revives its runs.
        "catalog.tasks.ingest_runs_sweep": {"queue": QUEUE_DEFAULT},
        "catalog.tasks.*": {"queue": QUEUE_INGEST},
        "lineage.tasks.ingest_*": {"queue": QUEUE_INGEST},
    },
    # One task at a time per worker process: ingest tasks are long and memory-heavy.
    worker_prefetch_multiplier=1,
    task_reject_on_worker_lost=True,
    task_track_started=True,
    result_expires=3600,
    broker_connection_retry_on_startup=True,
    # Redis hands an unacknowledged message (acks_late) to another worker only after the
    # visibility timeout, counted from delivery, even while its first worker is still busy
    # with it. It must therefore exceed the longest task (the hard time limit) plus the
    # longest retry countdown (retry_backoff_max, 300 s), or a long ingest would be
    # delivered twice. That makes it far too slow to bring back the run of a worker killed
    # mid-ingest: the beat's ingest-runs sweep (catalog.services.ingest_runs_sweep) does that
    # within one to two minutes, from the run's own heartbeat, and the message Redis restores
    # an hour later finds the run finished and does nothing (the claim is a compare-and-swap).
    broker_transport_options={"visibility_timeout": _visibility_timeout()},
    timezone="UTC",
    # Tasks outside the apps (autodiscovery covers those): the beat's heartbeat.
    imports=("config.tasks",),
)
app.autodiscover_tasks()


def _load_schedule() -> None:
    from config.schedules import BEAT_SCHEDULE

    app.conf.beat_schedule = BEAT_SCHEDULE


_load_schedule()
