"""The list pages of the metric dictionary run the same number of queries whatever they list:
each is requested with 3 rows of each kind, then with 30, and must run exactly as many
queries both times (an N+1 fails here). The directory and the metric page are pinned in
test_pages. The bounds are SQLite's counts; with the services (sessions in Redis) there are
fewer."""

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

SMALL, LARGE = 3, 30


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


def _inbox_rows(start: int, stop: int, analyst, metric_owner, second_owner, reviewer) -> None:
    """Per row kind, versions ``start`` to ``stop``: in review and owned by the reader
    (directly, through a team, or tier 1 with a governance approval recorded), owned by
    someone else, and the reader's own proposals (in review and drafts)."""
    team = Team.objects.create(name=f"Team {start}")
    team.members.add(metric_owner, second_owner)
    for i in range(start, stop):
        _proposal(f"Mine {i}", actor=analyst, owner_users=[metric_owner])
        _proposal(f"Team's {i}", actor=analyst, owner_teams=[team])
        executive = _proposal(f"Executive {i}", actor=analyst, tier=1, owner_users=[metric_owner])
        metric_version_approve(version=executive, actor=reviewer)  # 1 of 2: still open
        _proposal(f"Others' {i}", actor=analyst, owner_users=[second_owner])
        _proposal(f"Proposed {i}", actor=metric_owner, owner_users=[second_owner])
        _proposal(f"Draft {i}", actor=metric_owner, submit=False, owner_users=[second_owner])


def _inbox(client, n: int) -> int:
    count, html = _queries(client, reverse("metrics_dictionary:inbox"))
    me = html[html.index('data-box="waiting_for_me"') : html.index('data-box="waiting_for_others"')]
    others = html[
        html.index('data-box="waiting_for_others"') : html.index('data-box="my_proposals"')
    ]
    mine = html[html.index('data-box="my_proposals"') :]
    assert me.count("data-version=") == 3 * n and "1 of 2 approvals" in me
    assert others.count("data-version=") == 2 * n
    assert mine.count("data-version=") == min(2 * n, 50)  # the newest 50
    return count


def test_the_inbox_runs_as_many_queries_for_30_rows_of_each_kind_as_for_3(
    client, analyst, metric_owner, second_owner, second_reviewer
):
    people = (analyst, metric_owner, second_owner, second_reviewer)
    client.force_login(metric_owner)
    _inbox_rows(0, SMALL, *people)
    small = _inbox(client, SMALL)
    _inbox_rows(SMALL, LARGE, *people)
    assert _inbox(client, LARGE) == small <= 9


# ---------------------------------------------------------------------------- the change log


def _changes(start: int, stop: int, analyst, metric_owner, reviewer) -> None:
    """Entries ``start`` to ``stop`` of each kind: two metrics approved, one of them deprecated
    with a replacement and retired, and a catalog asset deprecated."""
    project = Project.objects.get_or_create(name="shop")[0]
    for i in range(start, stop):
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
            unique_id=f"model.shop.mart_{i}",
            name=f"mart_{i}",
            kind=AssetKind.MODEL,
        )
        asset_deprecate(asset=mart, reason="Use the new mart.", actor=reviewer)
    metrics_retire_due(today=timezone.localdate())
    assert Metric.objects.filter(status="retired").count() == stop


def _change_log(client, params: dict, n: int) -> int:
    count, html = _queries(client, reverse("metrics_dictionary:changes"), params)
    assert html.count("data-entry=") == min((3 if params else 5) * n, 30)  # 30 a page
    return count


@pytest.mark.parametrize("params", [{}, {"owner": "olivia", "tier": "3", "domain": "Sales"}])
def test_the_change_log_runs_as_many_queries_for_30_entries_of_each_kind_as_for_3(
    params, client, analyst, metric_owner, reviewer, viewer
):
    client.force_login(viewer)
    _changes(0, SMALL, analyst, metric_owner, reviewer)
    small = _change_log(client, params, SMALL)
    _changes(SMALL, LARGE, analyst, metric_owner, reviewer)
    assert _change_log(client, params, LARGE) == small <= 7


# ---------------------------------------------------------------------------- webhooks


def _webhooks(start: int, stop: int, admin_user) -> list:
    hooks = []
    for i in range(start, stop):
        hook, _ = webhook_create(
            name=f"hook {i}", url=f"https://hooks.example.com/{i}", actor=admin_user
        )
        for status in ("failed", "succeeded", "pending"):
            WebhookDelivery.objects.create(
                webhook=hook, event="metric.approved", payload={"event": "x"}, status=status
            )
        hooks.append(hook)
    return hooks


def _webhooks_page(client, n: int) -> int:
    count, html = _queries(client, reverse("metrics_dictionary:webhooks"))
    assert html.count("data-webhook=") == n
    return count


def test_the_webhooks_page_runs_as_many_queries_for_30_webhooks_as_for_3(client, admin_user):
    client.force_login(admin_user)
    _webhooks(0, SMALL, admin_user)
    small = _webhooks_page(client, SMALL)
    _webhooks(SMALL, LARGE, admin_user)
    assert _webhooks_page(client, LARGE) == small <= 2


def _webhook_page(client, hook, n: int) -> int:
    count, html = _queries(client, reverse("metrics_dictionary:webhook", args=[hook.pk]))
    assert html.count("data-delivery=") == n
    return count


def test_a_webhook_page_runs_as_many_queries_for_30_deliveries_as_for_3(client, admin_user):
    client.force_login(admin_user)
    hook = _webhooks(0, 1, admin_user)[0]  # with 3 deliveries
    small = _webhook_page(client, hook, SMALL)
    for _ in range(LARGE - SMALL):
        WebhookDelivery.objects.create(
            webhook=hook, event="metric.deprecated", payload={"event": "x"}, status="failed"
        )
    assert _webhook_page(client, hook, LARGE) == small <= 3
