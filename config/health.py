"""Health checks of the parts Lexicon needs: database, broker, worker."""

from __future__ import annotations

import logging
from typing import TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db import connection

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
    try:
        replies = celery_app.control.ping(timeout=1.5)
    except Exception as exc:
        logger.warning("health: worker ping failed: %s", exc)
        return f"down: {type(exc).__name__}"
    if not replies:
        return "down: no worker answered"
    return "ok"


def health_report() -> HealthReport:
    """Everything /healthz shows. Eager mode (no broker) counts as healthy."""
    database = check_database()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        broker = worker = "eager (tasks run in-process)"
        mode = "embedded"
        healthy = database == "ok"
    else:
        broker = check_broker()
        worker = check_worker() if broker == "ok" else "unknown: broker down"
        mode = "distributed"
        healthy = database == broker == worker == "ok"
    try:
        heartbeat = cache.get(HEARTBEAT_CACHE_KEY)
    except Exception:
        heartbeat = None
    return {
        "status": "ok" if healthy else "degraded",
        "database": database,
        "broker": broker,
        "worker": worker,
        "mode": mode,
        "last_heartbeat": heartbeat,
    }
