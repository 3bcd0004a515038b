"""The list pages of the metric dictionary run the same number of queries whatever they list:
each is requested with a few and with ten times as many rows, and must run exactly the same
queries (an N+1 fails here). The directory and the metric page are pinned in test_pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Asset, AssetKind, Project
from governance.models import Team
from metrics_dictionary.models import Metric, WebhookDelivery
from metrics_dictionary.services.deprecations import (
    asset_deprecate,
    metric_deprecate,
    metrics_retire_due,
)
from metrics_dictionary.services.proposals import metric_propose
from metrics_dictionary.services.reviews import metric_version_approve, metric_version_submit
from metrics_dictionary.services.webhooks import webhook_create

pytestmark = pytest.mark.django_db

SIZES = [3, 30]


def _queries(client, url: str, params: dict | None = None) -> tuple[int, str]:
    client.get(url, params or {})  # the session and the per-request caches warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(captured.captured_queries), response.content.decode()


# ---------------------------------------------------------------------------- the inbox


def _proposal(name: str, *, actor, submit: bool = True, **kwargs):
    version = metric_propose(name=name, definition={"formula": "SUM(x)"}, actor=actor, **kwargs)
    if submit:
        metric_version_submit(version=version, actor=actor)
    return version


def _inbox_rows(n: int, analyst, metric_owner, second_owner, second_reviewer) -> None:
    """Per row kind, ``n`` versions: in review and owned by the reader (directly, through a
    team, or tier 1 with a governance approval recorded), owned by someone else, and the
    reader's own proposals (in review and drafts)."""
    team = Team.objects.create(name=f"Team {n}")
    team.members.add(metric_owner, second_owner)
    for i in range(n):
        _proposal(f"Mine {i}", actor=analyst, owner_users=[metric_owner])
        _proposal(f"Team's {i}", actor=analyst, owner_teams=[team])
        executive = _proposal(f"Executive {i}", actor=analyst, tier=1, owner_users=[metric_owner])
        metric_version_approve(version=executive, actor=second_reviewer)  # 1 of 2: still open
        _proposal(f"Others' {i}", actor=analyst, owner_users=[second_owner])
        _proposal(f"Proposed {i}", actor=metric_owner, owner_users=[second_owner])
        _proposal(f"Draft {i}", actor=metric_owner, submit=False, owner_users=[second_owner])


INBOX_QUERIES = 9


@pytest.mark.parametrize("n", SIZES)
def test_the_inbox_runs_the_same_queries_for_3_or_30_rows_of_each_kind(
    n, client, analyst, metric_owner, second_owner, second_reviewer
):
    _inbox_rows(n, analyst, metric_owner, second_owner, second_reviewer)
    client.force_login(metric_owner)
    count, html = _queries(client, reverse("metrics_dictionary:inbox"))
    me = html[html.index('data-box="waiting_for_me"') : html.index('data-box="waiting_for_others"')]
    others = html[
        html.index('data-box="waiting_for_others"') : html.index('data-box="my_proposals"')
    ]
    mine = html[html.index('data-box="my_proposals"') :]
    assert me.count("data-version=") == 3 * n and "1 of 2 approvals" in me
    assert others.count("data-version=") == 2 * n
    assert mine.count("data-version=") == min(2 * n, 50)  # the newest 50
    assert count == INBOX_QUERIES


# ---------------------------------------------------------------------------- the change log


def _changes(n: int, analyst, metric_owner, reviewer) -> None:
    """``n`` of each entry: two metrics approved, one of them deprecated with a replacement
    and retired, and a catalog asset deprecated."""
    project = Project.objects.get_or_create(name="shop")[0]
    for i in range(n):
        approved = _proposal(f"Approved {i}", actor=analyst, owner_users=[metric_owner])
        metric_version_approve(version=approved, actor=metric_owner)
        old = _proposal(f"Old {i}", actor=analyst, owner_users=[metric_owner], domain="Sales")
        metric_version_approve(version=old, actor=metric_owner)
        metric_deprecate(
            metric=old.metric,
            reason="Replaced.",
            replacement=approved.metric,
            sunset_date=date.today() - timedelta(days=1),
            actor=metric_owner,
        )
        mart = Asset.objects.create(
            project=project,
            unique_id=f"model.shop.mart_{n}_{i}",
            name=f"mart_{n}_{i}",
            kind=AssetKind.MODEL,
        )
        asset_deprecate(asset=mart, reason="Use the new mart.", actor=reviewer)
    metrics_retire_due(today=timezone.localdate())


CHANGES_QUERIES = 7


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("params", [{}, {"owner": "olivia", "tier": "3", "domain": "Sales"}])
def test_the_change_log_runs_the_same_queries_for_3_or_30_entries_of_each_kind(
    n, params, client, analyst, metric_owner, reviewer, viewer
):
    _changes(n, analyst, metric_owner, reviewer)
    client.force_login(viewer)
    count, html = _queries(client, reverse("metrics_dictionary:changes"), params)
    shown = html.count("data-entry=")
    assert shown == min((3 if params else 5) * n, 30)  # 30 a page
    assert Metric.objects.filter(status="retired").count() == n
    assert count == CHANGES_QUERIES


# ---------------------------------------------------------------------------- webhooks


def _webhooks(n: int, admin_user) -> list:
    hooks = []
    for i in range(n):
        hook, _ = webhook_create(
            name=f"hook {i}", url=f"https://hooks.example.com/{i}", actor=admin_user
        )
        for status in ("failed", "succeeded", "pending"):
            WebhookDelivery.objects.create(
                webhook=hook, event="metric.approved", payload={"event": "x"}, status=status
            )
        hooks.append(hook)
    return hooks


WEBHOOKS_QUERIES = 2
WEBHOOK_QUERIES = 3


@pytest.mark.parametrize("n", SIZES)
def test_the_webhooks_page_runs_the_same_queries_for_3_or_30_webhooks(n, client, admin_user):
    _webhooks(n, admin_user)
    client.force_login(admin_user)
    count, html = _queries(client, reverse("metrics_dictionary:webhooks"))
    assert html.count("data-webhook=") == n
    assert count == WEBHOOKS_QUERIES


@pytest.mark.parametrize("n", SIZES)
def test_a_webhook_page_runs_the_same_queries_for_3_or_30_deliveries(n, client, admin_user):
    hook = _webhooks(1, admin_user)[0]
    for _ in range(n - 3):
        WebhookDelivery.objects.create(
            webhook=hook, event="metric.deprecated", payload={"event": "x"}, status="failed"
        )
    client.force_login(admin_user)
    count, html = _queries(client, reverse("metrics_dictionary:webhook", args=[hook.pk]))
    assert html.count("data-delivery=") == n
    assert count == WEBHOOK_QUERIES
