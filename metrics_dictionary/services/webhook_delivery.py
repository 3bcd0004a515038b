"""Outgoing webhooks: signed JSON payloads, delivered by Celery with retries.

Signature: ``X-Lexicon-Signature: sha256=<hex>``, the HMAC-SHA256 of
``<X-Lexicon-Timestamp>.<raw body>`` with the webhook's secret. Receivers recompute it
and reject old timestamps (replays). Secrets are derived, never stored (see ``Webhook``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from metrics_dictionary.models import Metric, MetricVersion, Webhook, WebhookDelivery

SIGNATURE_HEADER = "X-Lexicon-Signature"
TIMESTAMP_HEADER = "X-Lexicon-Timestamp"
EVENT_HEADER = "X-Lexicon-Event"
DELIVERY_HEADER = "X-Lexicon-Delivery"


class TransientDeliveryError(Exception):
    """A failure that may succeed later (connection error, timeout, 5xx, 429)."""


class WebhookSecretMissing(Exception):
    pass


def webhook_secret(hook: Webhook) -> str:
    if hook.secret_env:
        value = os.environ.get(hook.secret_env)
        if not value:
            raise WebhookSecretMissing(
                f"environment variable {hook.secret_env} (secret of webhook "
                f"“{hook.name}”) is not set"
            )
        return value
    return hmac.new(
        settings.SECRET_KEY.encode(),
        f"lexicon-webhook:{hook.pk}:{hook.secret_salt}".encode(),
        hashlib.sha256,
    ).hexdigest()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_valid(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def _body(event: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": event,
        "id": str(uuid.uuid4()),
        "sent_at": timezone.now().isoformat(),
        **payload,
    }


def metric_payload(metric: Metric, version: MetricVersion | None) -> dict[str, Any]:
    """The ``metric`` (and ``version``) part of the payload of a metric event."""
    payload: dict[str, Any] = {
        "metric": {
            "slug": metric.slug,
            "name": metric.name,
            "tier": metric.tier,
            "domain": metric.domain,
            "status": metric.status,
            "defined_in_dbt": metric.defined_in_dbt,
            "url": settings.LEXICON_BASE_URL
            + reverse("metrics_dictionary:metric", args=[metric.slug]),
        },
    }
    if version is not None:
        payload["version"] = {
            "number": version.number,
            "label": version.label,
            "formula": version.formula,
            "type": version.metric_type,
            "change_summary": version.change_summary,
            "proposed_by": version.proposed_by.username if version.proposed_by else None,
        }
    return payload


def deliveries_create(*, event: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """One delivery per active webhook subscribed to ``event``, sent after commit."""
    body = _body(event, payload)
    rows = [
        WebhookDelivery(webhook=h, event=event, payload=body)
        for h in Webhook.objects.filter(active=True)
        if h.wants(event)
    ]
    WebhookDelivery.objects.bulk_create(rows)
    for row in rows:
        transaction.on_commit(lambda pk=row.pk: delivery_dispatch(pk))
    return rows


def delivery_create(*, webhook: Webhook, event: str, payload: dict[str, Any]) -> WebhookDelivery:
    """One delivery to this webhook whatever it subscribes to (a test ping), sent after commit."""
    row = WebhookDelivery.objects.create(
        webhook=webhook, event=event, payload=_body(event, payload)
    )
    transaction.on_commit(lambda: delivery_dispatch(row.pk))
    return row


def delivery_dispatch(delivery_id: int) -> None:
    """Queue a delivery. Without a broker (embedded mode, eager tasks) there is no worker
    to wait for a retry: make one attempt in-process and never raise into the request."""
    from celery import current_app

    from metrics_dictionary.tasks import deliver_webhook

    if current_app.conf.task_always_eager:
        deliver_webhook.apply(args=[delivery_id], kwargs={"max_attempts": 1}, throw=False)
    else:
        deliver_webhook.delay(delivery_id)


def backoff_seconds(retries: int) -> int:
    """Wait before retry number ``retries + 1``: 30 s, 60 s, 120 s ...
    (LEXICON_WEBHOOK_BACKOFF_SECONDS doubled per retry), at most an hour."""
    return min(3600, settings.LEXICON_WEBHOOK_BACKOFF_SECONDS * 2**retries)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: int) -> int:
    """POST and return the status code; raises ``urllib.error.URLError`` / ``OSError``."""
    # An http(s) URL an admin set (checked when the webhook was saved).
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def delivery_attempt(delivery_id: int) -> WebhookDelivery:
    """One attempt. Success and permanent failures (4xx except 408/429, missing secret)
    are recorded; transient failures are recorded and raise ``TransientDeliveryError``."""
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    if delivery.status != WebhookDelivery.Status.PENDING:
        return delivery
    hook = delivery.webhook
    body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    attempts = delivery.attempts + 1
    try:
        secret = webhook_secret(hook)
    except WebhookSecretMissing as exc:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts, status=WebhookDelivery.Status.FAILED, last_error=str(exc)
        )
        delivery.refresh_from_db()
        return delivery
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Lexicon-Webhooks/1",
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        TIMESTAMP_HEADER: timestamp,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
    }
    try:
        code = _post(hook.url, body, headers, settings.LEXICON_WEBHOOK_TIMEOUT_SECONDS)
    except (urllib.error.URLError, OSError) as exc:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts,
            last_status_code=None,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise TransientDeliveryError(str(exc)) from exc
    if 200 <= code < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts,
            last_status_code=code,
            last_error="",
            status=WebhookDelivery.Status.SUCCEEDED,
            delivered_at=timezone.now(),
        )
    elif code >= 500 or code in (408, 429):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts, last_status_code=code, last_error=f"HTTP {code}"
        )
        raise TransientDeliveryError(f"HTTP {code}")
    else:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts,
            last_status_code=code,
            last_error=f"HTTP {code} (not retried)",
            status=WebhookDelivery.Status.FAILED,
        )
    delivery.refresh_from_db()
    return delivery


def delivery_give_up(delivery_id: int, error: str) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED, last_error=f"gave up: {error}"[:2000]
    )


def deliveries_stuck(*, minutes: int = 15) -> list[int]:
    """Pending deliveries never attempted for ``minutes`` (their dispatch was lost).

    Deliveries waiting for a retry have attempts > 0 and a Celery retry scheduled; they
    are left alone so a delivery is not sent twice in parallel."""
    from datetime import timedelta

    cutoff = timezone.now() - timedelta(minutes=minutes)
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, attempts=0, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]
    )
