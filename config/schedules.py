"""Every periodic task of Lexicon, in one place (celery beat).

Each entry says why it runs and expires before the next run is due, so a backlog of
stale runs never piles up behind a stopped worker.
"""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    # Proves end to end that beat, broker and a worker are alive; /healthz shows its age.
    "health-heartbeat": {
        "task": "config.tasks.heartbeat",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # Deprecated metrics whose sunset date has passed become retired (tombstone pages).
    "metrics-retire-sunset": {
        "task": "metrics_dictionary.tasks.retire_sunset_metrics",
        "schedule": crontab(minute=15, hour=0),
        "options": {"expires": 23 * 3600},
    },
    # Webhook deliveries whose dispatch was lost (worker died, broker restarted) are queued again.
    "webhooks-sweep": {
        "task": "metrics_dictionary.tasks.sweep_webhook_deliveries",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 9 * 60},
    },
}
