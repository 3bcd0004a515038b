"""Celery entry points of the metric dictionary: ids in, a service call, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    time_limit=120,
    soft_time_limit=100,
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def send_notification(kind: str, object_id: int, extra: dict | None = None) -> int:
    """Email the people concerned by one event (see ``services.notifications``)."""
    from metrics_dictionary.services.notifications import notify

    return notify(kind, object_id, extra or {})


@shared_task(bind=True, acks_late=True, time_limit=120, soft_time_limit=100)
def deliver_webhook(self, delivery_id: int, max_attempts: int | None = None) -> str:
    """Deliver one webhook; transient failures retry with exponential backoff
    (``webhook_delivery.backoff_seconds``), up to LEXICON_WEBHOOK_MAX_ATTEMPTS attempts, then the
    delivery is marked failed. Permanent failures (4xx) are not retried."""
    from metrics_dictionary.services.webhook_delivery import (
        TransientDeliveryError,
        backoff_seconds,
        delivery_attempt,
        delivery_give_up,
    )

    limit = max_attempts or settings.LEXICON_WEBHOOK_MAX_ATTEMPTS
    try:
        return delivery_attempt(delivery_id).status
    except TransientDeliveryError as exc:
        if self.request.retries + 1 >= limit:
            delivery_give_up(delivery_id, str(exc))
            return "failed"
        raise self.retry(
            exc=exc, countdown=backoff_seconds(self.request.retries), max_retries=limit
        ) from exc


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def retire_sunset_metrics() -> list[int]:
    """Daily: retire deprecated metrics whose sunset date has passed."""
    from metrics_dictionary.services.deprecations import metrics_retire_due

    retired = metrics_retire_due()
    if retired:
        logger.info("retired metrics %s", retired)
    return retired


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def sweep_webhook_deliveries() -> int:
    """Every 10 minutes: queue again pending deliveries nobody attempted for 15 minutes."""
    from metrics_dictionary.services.webhook_delivery import deliveries_stuck

    ids = deliveries_stuck()
    for delivery_id in ids:
        deliver_webhook.delay(delivery_id)
    return len(ids)
