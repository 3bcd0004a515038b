"""A real Celery worker delivers a signed webhook and retries it after a failure."""

from __future__ import annotations

import json
import time

import pytest

from metrics_dictionary.models import Webhook, WebhookDelivery
from metrics_dictionary.services.webhook_delivery import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    delivery_dispatch,
    signature_valid,
)
from tests.integration.test_celery_worker import worker  # noqa: F401 - the real-worker fixture
from tests.metrics_dictionary.test_webhooks import Receiver

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def worker_env(monkeypatch):
    """Set before the worker starts: it reads the secret and a short backoff from the
    environment."""
    monkeypatch.setenv("LEXICON_TEST_HOOK_SECRET", "shared-with-the-receiver")
    monkeypatch.setenv("LEXICON_WEBHOOK_BACKOFF_SECONDS", "1")


def test_a_real_worker_retries_a_failed_delivery_then_succeeds(worker_env, worker):  # noqa: F811
    receiver = Receiver([503])
    try:
        hook = Webhook.objects.create(
            name="ops", url=receiver.url, secret_env="LEXICON_TEST_HOOK_SECRET"
        )
        delivery = WebhookDelivery.objects.create(
            webhook=hook,
            event="metric.approved",
            payload={"event": "metric.approved", "metric": {"slug": "mrr"}},
        )
        delivery_dispatch(delivery.pk)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            delivery.refresh_from_db()
            if delivery.status != "pending":
                break
            time.sleep(0.5)
        assert delivery.status == "succeeded", (
            delivery.status,
            delivery.attempts,
            delivery.last_error,
        )
        assert delivery.attempts == 2 and len(receiver.requests) == 2
        headers, body = receiver.requests[-1]
        assert signature_valid(
            "shared-with-the-receiver", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER]
        )
        assert json.loads(body)["metric"]["slug"] == "mrr"
    finally:
        receiver.close()
