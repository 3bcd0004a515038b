"""Project-wide tasks that belong to no app: worker health."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "lexicon:worker-heartbeat"


# Both limits of its own: a hard limit alone would sit under the global soft limit
# (CELERY_TASK_SOFT_TIME_LIMIT), and Celery refuses to send such a task.
@shared_task(name="config.tasks.heartbeat", time_limit=30, soft_time_limit=20, acks_late=True)
def heartbeat() -> str:
    """Record that a worker ran a task just now; safe to run any number of times."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_CACHE_KEY, now, timeout=24 * 3600)
    return now
