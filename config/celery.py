"""The Celery app: Redis broker, two named queues, time limits, beat schedule.

Queues are named here and nowhere else. Tasks that are safe to run twice declare
``acks_late=True`` themselves, so a worker that dies mid-task hands the job back.
"""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

QUEUE_DEFAULT = "default"
QUEUE_INGEST = "ingest"


def idempotent_task_options(*, retries: int = 5, backoff: int = 5) -> dict:
    """Options of a task that is safe to run twice: handed back if its worker dies, retried
    with backoff when the database connection drops, within the project's time limits.
    ``@shared_task(name=..., **idempotent_task_options())``."""
    from django.conf import settings
    from django.db import InterfaceError, OperationalError

    return {"acks_late": True, "autoretry_for": (OperationalError, InterfaceError), "retry_backoff": backoff,
            "retry_backoff_max": 300, "max_retries": retries, "time_limit": settings.CELERY_TASK_TIME_LIMIT,
            "soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT}

app = Celery("lexicon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_default_queue=QUEUE_DEFAULT,
    task_queues=(Queue(QUEUE_DEFAULT), Queue(QUEUE_INGEST)),
    task_routes={
        "catalog.tasks.*": {"queue": QUEUE_INGEST},
        "lineage.tasks.ingest_*": {"queue": QUEUE_INGEST},
    },
    # One task at a time per worker process: ingest tasks are long and memory-heavy.
    worker_prefetch_multiplier=1,
    task_reject_on_worker_lost=True,
    task_track_started=True,
    result_expires=3600,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
)
app.autodiscover_tasks()


def _load_schedule() -> None:
    from config.schedules import BEAT_SCHEDULE

    app.conf.beat_schedule = BEAT_SCHEDULE


_load_schedule()
