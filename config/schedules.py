"""Every periodic task of Lexicon, in one place (celery beat).

Each entry says why it runs and expires before the next run is due, so a backlog of
stale runs never piles up behind a stopped worker.
"""

from __future__ import annotations

from datetime import timedelta

from celery.schedules import crontab, schedule

BEAT_SCHEDULE: dict[str, dict] = {
    # Proves end to end that beat, broker and a worker are alive; /healthz shows its age.
    "health-heartbeat": {
        "task": "config.tasks.heartbeat",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # Ingest runs whose worker died (heartbeat stale) are queued again or failed, and queued
    # runs whose message was lost are sent again: a killed worker's run starts again within a
    # minute (LEXICON_INGEST_STALE_SECONDS plus at most one period), not after the broker's
    # visibility timeout (config/celery.py). One indexed query when nothing is stale.
    "ingest-runs-sweep": {
        "task": "catalog.tasks.ingest_runs_sweep",
        "schedule": schedule(run_every=timedelta(seconds=15)),
        "options": {"expires": 14},
    },
    # The governance scorecard's daily numbers (trends); idempotent per day, so a retry or a
    # second beat on the same day only replaces that day's row.
    "governance-scorecard-snapshot": {
        "task": "governance.tasks.scorecard_snapshot",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 20 * 3600},
    },
    # Live query-log sources (pg_stat_statements): usage deltas every 15 minutes.
    "querylog-pull-live": {
        "task": "lineage.tasks.ingest_querylog_pull_live",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    # Popularity is reads over the last 30 days: recompute it daily so that it decays.
    "usage-popularity-refresh": {
        "task": "lineage.tasks.usage_popularity_refresh",
        "schedule": crontab(minute=17, hour=3),
        "options": {"expires": 6 * 3600},
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
