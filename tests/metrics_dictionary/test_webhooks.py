"""Outgoing webhooks: HMAC-signed payloads, retries with backoff, deliveries recorded."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from metrics_dictionary.errors import Forbidden
from metrics_dictionary.models import WebhookDelivery
from metrics_dictionary.services.proposals import metric_propose
from metrics_dictionary.services.reviews import metric_version_approve, metric_version_submit
from metrics_dictionary.services.webhook_delivery import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    backoff_seconds,
    signature_valid,
)
from metrics_dictionary.services.webhooks import webhook_create, webhook_secret_rotate
from metrics_dictionary.tasks import deliver_webhook

pytestmark = pytest.mark.django_db


class Receiver:
    """A local HTTP endpoint answering the given status codes in turn (then 200)."""

    def __init__(self, codes: list[int]):
        self.codes = list(codes)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.codes.pop(0) if receiver.codes else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    made = []

    def make(codes=()):
        made.append(Receiver(list(codes)))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _publish(analyst, metric_owner, django_capture_on_commit_callbacks):
    version = metric_propose(
        name="Net revenue",
        actor=analyst,
        owner_users=[metric_owner],
        definition={"formula": "SUM(amount_usd)"},
    )
    metric_version_submit(version=version, actor=analyst)
    with django_capture_on_commit_callbacks(execute=True):
        metric_version_approve(version=version, actor=metric_owner)


def test_an_approval_is_posted_signed_with_the_webhook_secret(
    receiver, admin_user, analyst, metric_owner, django_capture_on_commit_callbacks
):
    endpoint = receiver()
    hook, secret = webhook_create(
        name="Slack bridge", url=endpoint.url, events=["metric.approved"], actor=admin_user
    )
    assert secret and len(secret) == 64
    _publish(analyst, metric_owner, django_capture_on_commit_callbacks)
    assert len(endpoint.requests) == 1
    headers, body = endpoint.requests[0]
    assert signature_valid(secret, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert not signature_valid("wrong", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    payload = json.loads(body)
    assert payload["event"] == "metric.approved" and payload["metric"]["slug"] == "net-revenue"
    assert payload["version"]["number"] == 1 and payload["version"]["formula"] == "SUM(amount_usd)"
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert (
        delivery.status == "succeeded"
        and delivery.attempts == 1
        and delivery.last_status_code == 200
    )
    # A rotated secret signs the next deliveries; the old one no longer verifies.
    new_secret = webhook_secret_rotate(webhook=hook, actor=admin_user)
    assert new_secret != secret


@pytest.fixture
def retries_in_process():
    """Let eager retries run one after another in-process instead of raising ``Retry``."""
    from config.celery import app

    previous = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = previous


def test_failed_deliveries_are_retried_with_backoff_then_succeed(
    receiver, admin_user, retries_in_process
):
    endpoint = receiver([503, 500])
    hook, _ = webhook_create(name="flaky", url=endpoint.url, actor=admin_user)
    delivery = WebhookDelivery.objects.create(
        webhook=hook, event="metric.deprecated", payload={"event": "x"}
    )
    # apply() runs the task in-process, retries included (countdowns are not waited for).
    result = deliver_webhook.apply(args=[delivery.pk], throw=False)
    delivery.refresh_from_db()
    assert result.get() == "succeeded"
    assert delivery.status == "succeeded" and delivery.attempts == 3 and len(endpoint.requests) == 3
    assert [backoff_seconds(n) for n in range(4)] == [30, 60, 120, 240] and backoff_seconds(
        20
    ) == 3600


def test_retries_stop_after_the_configured_attempts(
    receiver, admin_user, settings, retries_in_process
):
    settings.LEXICON_WEBHOOK_MAX_ATTEMPTS = 3
    endpoint = receiver([500] * 10)
    hook, _ = webhook_create(name="down", url=endpoint.url, actor=admin_user)
    delivery = WebhookDelivery.objects.create(
        webhook=hook, event="metric.deprecated", payload={"event": "x"}
    )
    deliver_webhook.apply(args=[delivery.pk], throw=False)
    delivery.refresh_from_db()
    assert (
        delivery.status == "failed" and delivery.attempts == 3 and "gave up" in delivery.last_error
    )


def test_a_client_error_is_not_retried(receiver, admin_user):
    endpoint = receiver([410])
    hook, _ = webhook_create(name="gone", url=endpoint.url, actor=admin_user)
    delivery = WebhookDelivery.objects.create(
        webhook=hook, event="metric.deprecated", payload={"event": "x"}
    )
    deliver_webhook.apply(args=[delivery.pk], throw=False)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 1 and len(endpoint.requests) == 1


def test_a_secret_from_the_environment_signs(
    receiver, admin_user, monkeypatch, analyst, metric_owner, django_capture_on_commit_callbacks
):
    monkeypatch.setenv("HOOK_SECRET", "from-the-vault")
    endpoint = receiver()
    _, shown = webhook_create(
        name="env", url=endpoint.url, actor=admin_user, secret_env="HOOK_SECRET"
    )
    assert shown is None
    _publish(analyst, metric_owner, django_capture_on_commit_callbacks)
    headers, body = endpoint.requests[0]
    assert signature_valid(
        "from-the-vault", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER]
    )


def test_only_admins_manage_webhooks(reviewer):
    with pytest.raises(Forbidden, match="Only admins"):
        webhook_create(name="x", url="https://example.com/hook", actor=reviewer)


def test_a_transient_failure_asks_celery_to_retry_after_the_backoff(receiver, admin_user):
    from celery.exceptions import Retry

    endpoint = receiver([502])
    hook, _ = webhook_create(name="flaky", url=endpoint.url, actor=admin_user)
    delivery = WebhookDelivery.objects.create(
        webhook=hook, event="metric.deprecated", payload={"event": "x"}
    )
    with pytest.raises(Retry) as caught:
        deliver_webhook.apply(args=[delivery.pk], throw=True)
    assert caught.value.when == 30
    delivery.refresh_from_db()
    assert (
        delivery.status == "pending"
        and delivery.attempts == 1
        and delivery.last_error == "HTTP 502"
    )


def test_webhook_create_command_prints_the_secret_once(admin_user, viewer):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from metrics_dictionary.models import Webhook
    from metrics_dictionary.services.webhook_delivery import webhook_secret

    out = io.StringIO()
    call_command(
        "webhook_create",
        "https://hooks.example.com/lexicon",
        "--event",
        "metric.approved",
        "--as",
        admin_user.username,
        stdout=out,
    )
    hook = Webhook.objects.get()
    assert hook.events == ["metric.approved"]
    assert f"Signing secret (shown once): {webhook_secret(hook)}" in out.getvalue()
    with pytest.raises(CommandError, match="Only admins"):
        call_command(
            "webhook_create", "https://x.example.com", "--as", viewer.username, stdout=io.StringIO()
        )
