"""Admins manage outgoing webhooks on /metrics/webhooks/ and over /api/v1/webhooks/: the secret
is shown once, everyone else is refused, every change is audited."""

from __future__ import annotations

import html as htmllib
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.models import AuditEvent
from metrics_dictionary.errors import DefinitionInvalid, Forbidden
from metrics_dictionary.models import Webhook, WebhookDelivery
from metrics_dictionary.services.webhook_delivery import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    signature_valid,
    webhook_secret,
)
from metrics_dictionary.services.webhooks import (
    webhook_create,
    webhook_delete,
    webhook_ping,
    webhook_secret_rotate,
    webhook_update,
)
from tests.factories import token_client
from tests.metrics_dictionary.test_webhooks import Receiver

pytestmark = pytest.mark.django_db

HOOK_URL = "https://hooks.example.com/lexicon"


def _text(response) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def hook(admin_user) -> Webhook:
    return webhook_create(
        name="Slack bridge", url=HOOK_URL, events=["metric.approved"], actor=admin_user
    )[0]


def _delivery(hook: Webhook, status: str = "succeeded", **kwargs) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        webhook=hook, event="metric.approved", payload={"event": "x"}, status=status, **kwargs
    )


# ---------------------------------------------------------------------------- services


def test_update_validates_like_create_and_audits_what_changed(hook, admin_user):
    with pytest.raises(DefinitionInvalid) as caught:
        webhook_update(
            webhook=hook, actor=admin_user, url="ftp://files.example.com", events=["metric.renamed"]
        )
    assert set(caught.value.errors) == {"url", "events"}
    with pytest.raises(DefinitionInvalid, match="not valid"):
        webhook_update(
            webhook=hook, actor=admin_user, events=["ping"]
        )  # a test event, not a subscription

    webhook_update(
        webhook=hook, actor=admin_user, active=False, events=[], url="https://other.example.com/h"
    )
    hook.refresh_from_db()
    assert (hook.active, hook.events, hook.url, hook.name) == (
        False,
        [],
        "https://other.example.com/h",
        "Slack bridge",
    )
    row = AuditEvent.objects.get(action="webhook.update")
    assert row.before == {"url": HOOK_URL, "events": ["metric.approved"], "active": True}
    assert row.after == {"url": "https://other.example.com/h", "events": [], "active": False}
    webhook_update(webhook=hook, actor=admin_user, active=False)  # no change, no audit row
    assert AuditEvent.objects.filter(action="webhook.update").count() == 1


def test_create_refuses_a_url_without_a_host_and_a_bad_secret_variable_name(admin_user):
    with pytest.raises(DefinitionInvalid) as caught:
        webhook_create(name="x", url="https://", secret_env="MY SECRET", actor=admin_user)
    assert set(caught.value.errors) == {"url", "secret_env"}
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("actor", ["analyst", "metric_owner", "reviewer", "viewer"])
def test_only_admins_change_delete_rotate_or_ping(hook, actor, request):
    user = request.getfixturevalue(actor)
    for call in (
        lambda: webhook_update(webhook=hook, actor=user, active=False),
        lambda: webhook_delete(webhook=hook, actor=user),
        lambda: webhook_secret_rotate(webhook=hook, actor=user),
        lambda: webhook_ping(webhook=hook, actor=user),
    ):
        with pytest.raises(Forbidden, match="Only admins"):
            call()
    assert Webhook.objects.get().active and not hook.deliveries.exists()


def test_a_ping_is_signed_and_sent_even_to_an_inactive_webhook(
    admin_user, django_capture_on_commit_callbacks
):
    receiver = Receiver([])
    try:
        hook, secret = webhook_create(
            name="r", url=receiver.url, events=["metric.approved"], actor=admin_user
        )
        webhook_update(webhook=hook, actor=admin_user, active=False)
        with django_capture_on_commit_callbacks(execute=True):
            delivery = webhook_ping(webhook=hook, actor=admin_user)
    finally:
        receiver.close()
    delivery.refresh_from_db()
    assert delivery.event == "ping" and delivery.status == "succeeded"
    headers, body = receiver.requests[0]
    assert signature_valid(secret, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert b'"event":"ping"' in body and b'"sent_by":"ada"' in body


# ---------------------------------------------------------------------------- the page


def test_an_admin_adds_a_webhook_and_sees_its_secret_once(client, admin_user):
    client.force_login(admin_user)
    empty = client.get(reverse("metrics_dictionary:webhooks"))
    assert empty.status_code == 200 and "No webhooks yet" in _text(empty)

    response = client.post(
        reverse("metrics_dictionary:webhooks"),
        {"name": "CI bridge", "url": HOOK_URL, "events": ["metric.approved", "metric.deprecated"]},
    )
    assert response.status_code == 200
    hook = Webhook.objects.get()
    secret = webhook_secret(hook)
    text = _text(response)
    assert secret in response.content.decode() and "it will not be shown again" in text
    assert "no-store" in response["Cache-Control"]
    assert hook.events == ["metric.approved", "metric.deprecated"] and hook.created_by == admin_user
    assert AuditEvent.objects.filter(action="webhook.create", actor=admin_user).exists()

    again = client.get(reverse("metrics_dictionary:webhooks"))
    assert secret not in again.content.decode()
    assert "CI bridge" in _text(again) and "metric.deprecated" in _text(again)
    detail = client.get(reverse("metrics_dictionary:webhook", args=[hook.pk]))
    assert detail.status_code == 200 and secret not in detail.content.decode()


def test_a_webhook_with_an_environment_secret_shows_no_secret(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("metrics_dictionary:webhooks"), {"url": HOOK_URL, "secret_env": "HOOK_SECRET"}
    )
    assert response.status_code == 200 and "environment variable HOOK_SECRET" in _text(response)
    assert "will not be shown again" not in _text(response)


def test_the_add_form_names_the_wrong_field(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("metrics_dictionary:webhooks"), {"name": "x", "url": "hooks.example.com"}
    )
    assert response.status_code == 400
    assert (
        "field-url field-invalid" in response.content.decode()
        and "must be an http(s) URL" in _text(response)
    )
    assert not Webhook.objects.exists()


def test_the_list_shows_last_delivery_and_failures_of_the_week(client, admin_user, hook):
    old = _delivery(hook, "failed")
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=9))
    _delivery(hook, "failed")
    _delivery(hook, "failed")
    _delivery(hook, "succeeded", delivered_at=timezone.now())
    client.force_login(admin_user)
    text = _text(client.get(reverse("metrics_dictionary:webhooks")))
    assert "2 failed" in text and "succeeded" in text and "active" in text and "ada" in text


def test_an_admin_edits_rotates_pings_and_deletes_on_the_pages(
    client, admin_user, hook, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    edit = reverse("metrics_dictionary:webhook_edit", args=[hook.pk])
    bad = client.post(edit, {"name": "Slack bridge", "url": "nope", "events": ["metric.approved"]})
    assert bad.status_code == 400 and "must be an http(s) URL" in _text(bad)
    saved = client.post(
        edit, {"name": "Slack bridge", "url": HOOK_URL, "events": ["metric.needs_attention"]}
    )
    assert saved.status_code == 302
    hook.refresh_from_db()
    assert (
        hook.events == ["metric.needs_attention"] and not hook.active
    )  # the box was left unticked

    old_secret = webhook_secret(hook)
    rotated = client.post(reverse("metrics_dictionary:webhook_rotate_secret", args=[hook.pk]))
    hook.refresh_from_db()
    new_secret = webhook_secret(hook)
    assert rotated.status_code == 200 and new_secret != old_secret
    assert new_secret in rotated.content.decode() and old_secret not in rotated.content.decode()

    with django_capture_on_commit_callbacks(execute=False):  # recorded, not sent from the test
        pinged = client.post(reverse("metrics_dictionary:webhook_ping", args=[hook.pk]))
    assert pinged.status_code == 302 and hook.deliveries.get().event == "ping"
    detail = client.get(reverse("metrics_dictionary:webhook", args=[hook.pk]))
    assert "ping" in _text(detail) and "pending" in _text(detail)

    confirm = client.get(reverse("metrics_dictionary:webhook_delete", args=[hook.pk]))
    assert confirm.status_code == 200 and "cannot be undone" in _text(confirm)
    assert Webhook.objects.exists()
    deleted = client.post(reverse("metrics_dictionary:webhook_delete", args=[hook.pk]))
    assert deleted.status_code == 302 and deleted["Location"] == reverse(
        "metrics_dictionary:webhooks"
    )
    assert not Webhook.objects.exists() and not WebhookDelivery.objects.exists()
    row = AuditEvent.objects.get(action="webhook.delete")
    assert row.object_id == str(hook.pk) and row.before["url"] == HOOK_URL


def test_the_detail_page_lists_the_last_50_deliveries(client, admin_user, hook):
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                webhook=hook,
                event="metric.approved",
                payload={},
                status="failed",
                attempts=6,
                last_status_code=503,
                last_error="HTTP 503 " + "x" * 300,
            )
            for _ in range(55)
        ]
    )
    client.force_login(admin_user)
    response = client.get(reverse("metrics_dictionary:webhook", args=[hook.pk]))
    body = response.content.decode()
    assert body.count("data-delivery=") == 50 and "503" in body and "x" * 100 not in _text(response)


def test_the_metrics_index_links_the_page_for_admins_only(client, admin_user, analyst):
    client.force_login(admin_user)
    assert (
        reverse("metrics_dictionary:webhooks")
        in client.get(reverse("metrics_dictionary:index")).content.decode()
    )
    client.force_login(analyst)
    assert (
        reverse("metrics_dictionary:webhooks")
        not in client.get(reverse("metrics_dictionary:index")).content.decode()
    )


def _pages(hook: Webhook) -> list[tuple[str, str]]:
    return [
        ("get", reverse("metrics_dictionary:webhooks")),
        ("post", reverse("metrics_dictionary:webhooks")),
        ("get", reverse("metrics_dictionary:webhook", args=[hook.pk])),
        ("post", reverse("metrics_dictionary:webhook_edit", args=[hook.pk])),
        ("post", reverse("metrics_dictionary:webhook_rotate_secret", args=[hook.pk])),
        ("post", reverse("metrics_dictionary:webhook_ping", args=[hook.pk])),
        ("get", reverse("metrics_dictionary:webhook_delete", args=[hook.pk])),
        ("post", reverse("metrics_dictionary:webhook_delete", args=[hook.pk])),
    ]


@pytest.mark.parametrize("actor", ["analyst", "metric_owner", "viewer"])
def test_everyone_but_admins_gets_403_on_every_page(client, hook, actor, request):
    client.force_login(request.getfixturevalue(actor))
    for method, url in _pages(hook):
        response = getattr(client, method)(url, {"url": HOOK_URL, "name": "x"})
        assert response.status_code == 403, (method, url)
    assert Webhook.objects.get().name == "Slack bridge" and not WebhookDelivery.objects.exists()
    # Unknown ids are refused too, not 404: a non-admin cannot probe which webhooks exist.
    assert (
        client.get(reverse("metrics_dictionary:webhook", args=[hook.pk + 100])).status_code == 403
    )


@pytest.mark.parametrize("n", [3, 30])
def test_the_list_page_query_count_stays_flat(n, client, admin_user, django_assert_max_num_queries):
    for i in range(n):
        hook, _ = webhook_create(name=f"hook {i}", url=f"{HOOK_URL}/{i}", actor=admin_user)
        _delivery(hook, "failed")
        _delivery(hook, "succeeded")
    client.force_login(admin_user)
    with django_assert_max_num_queries(4):
        response = client.get(reverse("metrics_dictionary:webhooks"))
    assert response.content.decode().count("data-webhook=") == n


# ---------------------------------------------------------------------------- the API


def test_api_create_returns_the_secret_once_and_reads_never(admin_user):
    api = token_client(admin_user)
    created = api.post(
        "/api/v1/webhooks/",
        {"name": "CI", "url": HOOK_URL, "events": ["metric.deprecated"]},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    hook = Webhook.objects.get()
    assert body["secret"] == webhook_secret(hook) and body["events"] == ["metric.deprecated"]
    assert (
        body["created_by"] == "ada"
        and body["active"] is True
        and "no-store" in created["Cache-Control"]
    )

    listed = api.get("/api/v1/webhooks/")
    assert listed.status_code == 200 and listed.json()["count"] == 1
    detail = api.get(f"/api/v1/webhooks/{hook.pk}/")
    for response in (listed, detail):
        assert (
            body["secret"] not in response.content.decode()
            and 'secret"' not in response.content.decode()
        )
    assert detail.json()["name"] == "CI" and detail.json()["failed_deliveries_7d"] == 0

    from_env = api.post(
        "/api/v1/webhooks/", {"url": HOOK_URL, "secret_env": "HOOK_SECRET"}, format="json"
    )
    assert from_env.status_code == 201 and from_env.json()["secret"] is None
    assert from_env.json()["secret_env"] == "HOOK_SECRET" and from_env.json()["events"] == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "hooks.example.com/x"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"events": ["metric.renamed"]}, "events"),
        ({"events": ["ping"]}, "events"),
    ],
)
def test_api_patch_refuses_bad_input_naming_the_field(admin_user, hook, body, field):
    response = token_client(admin_user).patch(f"/api/v1/webhooks/{hook.pk}/", body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["kind"] == "invalid" and data["detail"] and list(data["errors"]) == [field]
    hook.refresh_from_db()
    assert hook.url == HOOK_URL and hook.events == ["metric.approved"]


def test_api_patch_changes_only_what_is_given(admin_user, hook):
    response = token_client(admin_user).patch(
        f"/api/v1/webhooks/{hook.pk}/", {"active": False}, format="json"
    )
    assert response.status_code == 200 and response.json()["active"] is False
    assert response.json()["url"] == HOOK_URL and response.json()["events"] == ["metric.approved"]


def test_api_rotate_makes_old_signatures_fail(admin_user, hook):
    old_secret = webhook_secret(hook)
    body, timestamp = b'{"event":"metric.approved"}', "1700000000"
    old_signature = sign(old_secret, timestamp, body)
    response = token_client(admin_user).post(f"/api/v1/webhooks/{hook.pk}/rotate-secret/")
    assert response.status_code == 200
    new_secret = response.json()["secret"]
    hook.refresh_from_db()
    assert new_secret == webhook_secret(hook) != old_secret
    assert not signature_valid(new_secret, timestamp, body, old_signature)
    assert signature_valid(new_secret, timestamp, body, sign(new_secret, timestamp, body))
    assert AuditEvent.objects.filter(
        action="webhook.rotate_secret", object_id=str(hook.pk)
    ).exists()


def test_api_delete_removes_the_webhook_and_audits(admin_user, hook):
    _delivery(hook)
    api = token_client(admin_user)
    assert api.delete(f"/api/v1/webhooks/{hook.pk}/").status_code == 204
    assert not Webhook.objects.exists() and not WebhookDelivery.objects.exists()
    row = AuditEvent.objects.get(action="webhook.delete")
    assert row.actor == admin_user and row.object_repr == "Slack bridge"
    assert row.before == {
        "name": "Slack bridge",
        "url": HOOK_URL,
        "events": ["metric.approved"],
        "active": True,
    }
    assert api.delete(f"/api/v1/webhooks/{hook.pk}/").status_code == 404


def test_api_deliveries_lists_this_webhooks_deliveries_only(admin_user, hook):
    other, _ = webhook_create(name="other", url="https://other.example.com/h", actor=admin_user)
    mine = [
        _delivery(hook, "failed", attempts=2, last_status_code=500, last_error="HTTP 500")
        for _ in range(3)
    ]
    _delivery(other)
    response = token_client(admin_user).get(f"/api/v1/webhooks/{hook.pk}/deliveries/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and {"next", "previous"} <= set(body)
    assert [d["id"] for d in body["results"]] == [d.pk for d in reversed(mine)]
    assert (
        body["results"][0]["status"] == "failed" and body["results"][0]["last_status_code"] == 500
    )
    assert token_client(admin_user).get("/api/v1/webhooks/999/deliveries/").status_code == 404


@pytest.mark.parametrize("actor", ["analyst", "metric_owner", "viewer"])
def test_everyone_but_admins_gets_403_on_every_endpoint(hook, actor, request):
    api = token_client(request.getfixturevalue(actor))
    calls = [
        ("get", "/api/v1/webhooks/", None),
        ("post", "/api/v1/webhooks/", {"url": HOOK_URL}),
        ("get", f"/api/v1/webhooks/{hook.pk}/", None),
        ("patch", f"/api/v1/webhooks/{hook.pk}/", {"active": False}),
        ("delete", f"/api/v1/webhooks/{hook.pk}/", None),
        ("post", f"/api/v1/webhooks/{hook.pk}/rotate-secret/", None),
        ("get", f"/api/v1/webhooks/{hook.pk}/deliveries/", None),
        ("get", f"/api/v1/webhooks/{hook.pk + 100}/", None),
    ]
    for method, url, data in calls:
        response = getattr(api, method)(url, data, format="json")
        assert response.status_code == 403, (method, url)
        assert "Only admins" in response.json()["detail"]
    assert Webhook.objects.get().active


@pytest.mark.parametrize("n", [3, 30])
def test_api_list_query_count_stays_flat(n, admin_user, django_assert_max_num_queries):
    for i in range(n):
        hook, _ = webhook_create(name=f"hook {i}", url=f"{HOOK_URL}/{i}", actor=admin_user)
        _delivery(hook, "failed")
    api = token_client(admin_user)
    with django_assert_max_num_queries(4):
        assert api.get("/api/v1/webhooks/").json()["count"] == n
