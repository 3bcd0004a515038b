"""Health checks of the parts Lexicon needs: database, broker, worker."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from config.tasks import HEARTBEAT_CACHE_KEY

logger = logging.getLogger(__name__)


class HealthReport(TypedDict):
    status: str
    database: str
    broker: str
    worker: str
    mode: str
    last_heartbeat: str | None
    heartbeat_age_seconds: int | None


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the class name says which
        logger.warning("health: database down: %s", exc)
        return f"down: {type(exc).__name__}"
    return "ok"


def check_broker() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        logger.warning("health: broker down: %s", exc)
        return f"down: {type(exc).__name__}"
    return "ok"


def check_worker() -> str:
    """A worker answers a ping. Whether tasks get through is ``check_heartbeat``'s question."""
    try:
        replies = celery_app.control.ping(timeout=1.5)
    except Exception as exc:
        logger.warning("health: worker ping failed: %s", exc)
        return f"down: {type(exc).__name__}"
    if not replies:
        return "down: no worker answered"
    return "ok"


def last_heartbeat() -> tuple[str | None, int | None]:
    """When a worker last ran the beat's heartbeat task (ISO time) and how many seconds ago."""
    try:
        raw = cache.get(HEARTBEAT_CACHE_KEY)
    except Exception as exc:
        logger.warning("health: heartbeat unreadable: %s", exc)
        return None, None
    if not raw:
        return None, None
    try:
        at = datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        return None, None
    return raw, max(0, int((timezone.now() - at).total_seconds()))


def check_heartbeat(heartbeat: str | None, age: int | None) -> str:
    """Beat sends a heartbeat task every minute and a worker records it: a heartbeat older
    than LEXICON_HEARTBEAT_STALE_SECONDS means beat, the broker or the workers stopped
    moving tasks, even when a worker still answers pings."""
    stale = settings.LEXICON_HEARTBEAT_STALE_SECONDS
    if heartbeat is None or age is None:
        return (
            "down: no heartbeat recorded yet "
            "(is celery beat running, with a worker on the default queue?)"
        )
    if age > stale:
        return f"down: last heartbeat {age} s ago, stale after {stale} s (is celery beat running?)"
    return "ok"


def health_report() -> HealthReport:
    """Everything /healthz shows. Eager mode (no broker) counts as healthy."""
    database = check_database()
    heartbeat, age = last_heartbeat()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        broker = worker = "eager (tasks run in-process)"
        mode = "embedded"
        healthy = database == "ok"
    else:
        broker = check_broker()
        mode = "distributed"
        if broker != "ok":
            worker = "unknown: broker down"
        else:
            worker = check_worker()
            if worker == "ok":
                worker = check_heartbeat(heartbeat, age)
        healthy = database == broker == worker == "ok"
    return {
        "status": "ok" if healthy else "degraded",
        "database": database,
        "broker": broker,
        "worker": worker,
        "mode": mode,
        "last_heartbeat": heartbeat,
        "heartbeat_age_seconds": age,
    }
