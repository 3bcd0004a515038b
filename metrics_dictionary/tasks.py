"""Celery entry points of the metric dictionary: ids in, a service call, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100, autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True,
             max_retries=5)
def send_notification(kind: str, object_id: int, extra: dict | None = None) -> int:
    """Email the people concerned by one event (see ``notifications``)."""
    from metrics_dictionary.notifications import notify

    return notify(kind, object_id, extra or {})


@shared_task(bind=True, acks_late=True, time_limit=120, soft_time_limit=100)
def deliver_webhook(self, delivery_id: int) -> str:
    """Deliver one webhook; transient failures retry with exponential backoff
    (30 s, 60 s, 120 s ... at most an hour), up to LEXICON_WEBHOOK_MAX_ATTEMPTS attempts."""
    from metrics_dictionary.webhooks import TransientDeliveryError, delivery_attempt, delivery_give_up

    try:
        return delivery_attempt(delivery_id).status
    except TransientDeliveryError as exc:
        if self.request.retries + 1 >= settings.LEXICON_WEBHOOK_MAX_ATTEMPTS:
            delivery_give_up(delivery_id, str(exc))
            return "failed"
        countdown = min(3600, 30 * 2 ** self.request.retries)
        raise self.retry(exc=exc, countdown=countdown, max_retries=settings.LEXICON_WEBHOOK_MAX_ATTEMPTS) from exc


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def retire_sunset_metrics() -> list[int]:
    """Daily: retire deprecated metrics whose sunset date has passed."""
    from metrics_dictionary.services import metrics_retire_due

    retired = metrics_retire_due()
    if retired:
        logger.info("retired metrics %s", retired)
    return retired
