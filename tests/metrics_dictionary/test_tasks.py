"""Beat entries of the dictionary point at registered tasks; the sweep re-queues lost deliveries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from config.schedules import BEAT_SCHEDULE
from metrics_dictionary.models import Webhook, WebhookDelivery
from metrics_dictionary.services.webhook_delivery import deliveries_stuck


def test_dictionary_beat_entries_name_registered_tasks_and_expire():
    # Registers the tasks, as a worker's autodiscovery does.
    import metrics_dictionary.tasks  # noqa: F401

    entries = {
        k: v for k, v in BEAT_SCHEDULE.items() if v["task"].startswith("metrics_dictionary.")
    }
    assert set(entries) == {"metrics-retire-sunset", "webhooks-sweep"}
    for entry in entries.values():
        assert entry["task"] in app.tasks
        assert entry["options"]["expires"] > 0


@pytest.mark.django_db
def test_the_sweep_finds_only_deliveries_whose_dispatch_was_lost():
    hook = Webhook.objects.create(name="h", url="https://example.com/h", secret_salt="s")
    lost = WebhookDelivery.objects.create(webhook=hook, event="metric.approved", payload={})
    fresh = WebhookDelivery.objects.create(webhook=hook, event="metric.approved", payload={})
    retrying = WebhookDelivery.objects.create(
        webhook=hook, event="metric.approved", payload={}, attempts=2
    )
    old = timezone.now() - timedelta(minutes=30)
    WebhookDelivery.objects.filter(pk__in=[lost.pk, retrying.pk]).update(created_at=old)
    assert deliveries_stuck() == [lost.pk]
    assert fresh.pk not in deliveries_stuck()
