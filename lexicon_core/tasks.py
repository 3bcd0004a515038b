"""Options every Celery task of the apps shares (the app itself is ``config.celery``)."""

from __future__ import annotations


def idempotent_task_options(*, retries: int = 5, backoff: int = 5) -> dict:
    """Options of a task that is safe to run twice: handed back if its worker dies, retried
    with backoff when the database connection drops, within the project's time limits.
    ``@shared_task(name=..., **idempotent_task_options())``."""
    from django.conf import settings
    from django.db import InterfaceError, OperationalError

    return {
        "acks_late": True,
        "autoretry_for": (OperationalError, InterfaceError),
        "retry_backoff": backoff,
        "retry_backoff_max": 300,
        "max_retries": retries,
        "time_limit": settings.CELERY_TASK_TIME_LIMIT,
        "soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT,
    }
