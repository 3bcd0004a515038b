"""The role × action matrix, cell by cell, for the rules, the pages and the API.

``EXPECTED`` is written out here (not read from the rules): which roles may do each
action. ``ENDPOINTS`` maps every page and API endpoint to the action it needs. Adding an
action is one row in ``EXPECTED``; adding an endpoint is one row in ``ENDPOINTS``.
Each endpoint is requested as every role: the allowed side must answer one of the
row's ``ok`` statuses, the refused side exactly 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from catalog.models import Asset, Column, Project
from lexicon_core.permissions import actions, check, role_matrix_markdown
from lexicon_core.roles import ADMIN, ANALYST, GOVERNANCE_REVIEWER, METRIC_OWNER, VIEWER
from tests.factories import token_client

pytestmark = pytest.mark.django_db

EVERY_ROLE = {VIEWER, ANALYST, METRIC_OWNER, GOVERNANCE_REVIEWER, ADMIN}
REVIEWERS = {GOVERNANCE_REVIEWER, ADMIN}

EXPECTED: dict[str, set[str]] = {
    "catalog.view": EVERY_ROLE,
    "ingest.run": {ADMIN},
    "asset.set_owners": REVIEWERS,
    "asset.set_tier": REVIEWERS,
    "asset.describe": REVIEWERS,
    "column.classify": REVIEWERS,
    "policy.edit": REVIEWERS,
    "team.manage": REVIEWERS,
    "audit.view": REVIEWERS,
    "users.manage": {ADMIN},
    "scorecard.view": EVERY_ROLE,
    # the metric dictionary (registered by metrics_dictionary); without an object, as a role allows
    "metric.propose": {ANALYST, METRIC_OWNER, GOVERNANCE_REVIEWER, ADMIN},
    "metric.edit": {ANALYST, METRIC_OWNER, GOVERNANCE_REVIEWER, ADMIN},
    "metric.submit": {ANALYST, METRIC_OWNER, GOVERNANCE_REVIEWER, ADMIN},
    "metric.comment": {ANALYST, METRIC_OWNER, GOVERNANCE_REVIEWER, ADMIN},
    "metric.review": {METRIC_OWNER, GOVERNANCE_REVIEWER, ADMIN},
    "metric.manage": REVIEWERS,
    "metric.deprecate": REVIEWERS,
    "asset.deprecate": REVIEWERS,
    "webhook.manage": {ADMIN},
}

# fixture name → role (the outsider is signed in but holds no role)
ACTORS = {
    "viewer": VIEWER,
    "analyst": ANALYST,
    "metric_owner": METRIC_OWNER,
    "reviewer": GOVERNANCE_REVIEWER,
    "admin_user": ADMIN,
    "outsider": None,
}


@dataclass(frozen=True)
class World:
    project: Project
    asset: Asset
    column: Column
    subject: Any  # a user whose roles the admin edits
    metric: Any  # a draft metric proposed by someone else
    webhook: Any  # an outgoing webhook of the metric dictionary


@dataclass(frozen=True)
class Endpoint:
    name: str
    action: str
    method: str
    url: Callable[[World], str]
    data: Callable[[World], dict] = field(default=lambda w: {})
    ok: tuple[int, ...] = (200,)
    api: bool = False
    fmt: str = "json"  # API request body format

    def __str__(self) -> str:
        return self.name


def _policy_body(w: World) -> dict:
    return {
        "freshness_sla_hours": 48,
        "required_tests": ["unique", "not_null"],
        "description_required": True,
        "column_docs_target_pct": 80,
        "owner_required": True,
        "pii_review_required": False,
    }


ENDPOINTS = [
    # pages everyone with a role reads
    Endpoint(
        "page search", "catalog.view", "get", lambda w: reverse("catalog:search") + "?q=things"
    ),
    Endpoint("page browse", "catalog.view", "get", lambda w: reverse("catalog:browse")),
    Endpoint("page recent", "catalog.view", "get", lambda w: reverse("catalog:recent")),
    Endpoint("page removed", "catalog.view", "get", lambda w: reverse("catalog:removed")),
    Endpoint(
        "page asset", "catalog.view", "get", lambda w: reverse("catalog:asset", args=[w.asset.pk])
    ),
    Endpoint(
        "page asset columns",
        "catalog.view",
        "get",
        lambda w: reverse("catalog:asset", args=[w.asset.pk]) + "?tab=columns",
    ),
    Endpoint("page ingest runs", "catalog.view", "get", lambda w: reverse("catalog:ingest_runs")),
    Endpoint("page lineage", "catalog.view", "get", lambda w: reverse("lineage:index")),
    Endpoint(
        "page lineage panel",
        "catalog.view",
        "get",
        lambda w: reverse("lineage:asset_panel", args=[w.asset.pk]),
    ),
    Endpoint(
        "page lineage impact",
        "catalog.view",
        "get",
        lambda w: reverse("lineage:asset_impact", args=[w.asset.pk]),
    ),
    Endpoint("page unused assets", "catalog.view", "get", lambda w: reverse("lineage:unused")),
    Endpoint("page metrics", "catalog.view", "get", lambda w: reverse("metrics_dictionary:index")),
    Endpoint(
        "page metric",
        "catalog.view",
        "get",
        lambda w: reverse("metrics_dictionary:metric", args=[w.metric.slug]),
    ),
    Endpoint(
        "page metric inbox", "catalog.view", "get", lambda w: reverse("metrics_dictionary:inbox")
    ),
    Endpoint(
        "page metric changes",
        "catalog.view",
        "get",
        lambda w: reverse("metrics_dictionary:changes"),
    ),
    Endpoint("page governance", "catalog.view", "get", lambda w: reverse("governance:index")),
    Endpoint(
        "page history panel",
        "catalog.view",
        "get",
        lambda w: reverse("governance:asset_history_panel", args=[w.asset.pk]),
    ),
    Endpoint(
        "page owners fragment",
        "catalog.view",
        "get",
        lambda w: reverse("governance:asset_owners", args=[w.asset.pk]),
    ),
    Endpoint(
        "page policy panel",
        "catalog.view",
        "get",
        lambda w: reverse("governance:asset_policy_panel", args=[w.asset.pk]),
    ),
    Endpoint(
        "page description panel",
        "catalog.view",
        "get",
        lambda w: reverse("governance:asset_description", args=[w.asset.pk]),
    ),
    Endpoint("page my assets", "catalog.view", "get", lambda w: reverse("governance:my_assets")),
    Endpoint("page policies", "catalog.view", "get", lambda w: reverse("governance:policies")),
    Endpoint("page teams", "catalog.view", "get", lambda w: reverse("governance:teams")),
    Endpoint(
        "page dbt meta patch",
        "catalog.view",
        "get",
        lambda w: reverse("governance:dbt_meta_patch", args=[w.project.pk]),
    ),
    Endpoint(
        "page column",
        "catalog.view",
        "get",
        lambda w: reverse("governance:column", args=[w.column.pk]),
    ),
    Endpoint(
        "page columns pii fragment",
        "catalog.view",
        "get",
        lambda w: reverse("governance:asset_columns_pii", args=[w.asset.pk]),
    ),
    Endpoint("page scorecard", "scorecard.view", "get", lambda w: reverse("governance:scorecard")),
    Endpoint(
        "page scorecard drill-down",
        "scorecard.view",
        "get",
        lambda w: reverse("governance:scorecard_drilldown", args=["ownership"]),
    ),
    # pages that change things
    Endpoint(
        "page metric propose form",
        "metric.propose",
        "get",
        lambda w: reverse("metrics_dictionary:propose"),
    ),
    Endpoint(
        "page metric comment",
        "metric.comment",
        "post",
        lambda w: reverse("metrics_dictionary:comment_add", args=[w.metric.slug]),
        lambda w: {"body": "Is this net of refunds?"},
        ok=(200, 302),
    ),
    Endpoint(
        "page pii review queue",
        "column.classify",
        "get",
        lambda w: reverse("governance:review_queue"),
    ),
    Endpoint(
        "page pii decide",
        "column.classify",
        "post",
        lambda w: reverse("governance:review_queue_decide"),
        lambda w: {"ids": [], "decision": "confirm"},
        ok=(302, 400),
    ),
    Endpoint(
        "page column classify",
        "column.classify",
        "post",
        lambda w: reverse("governance:column_classify", args=[w.column.pk]),
        lambda w: {"category": "email", "sensitivity": "high", "status": "confirmed"},
        ok=(200, 302),
    ),
    Endpoint(
        "page ingest upload",
        "ingest.run",
        "post",
        lambda w: reverse("catalog:ingest_upload"),
        ok=(400,),
    ),
    Endpoint(
        "page query-log upload form",
        "ingest.run",
        "get",
        lambda w: reverse("lineage:querylog_upload"),
    ),
    Endpoint(
        "page owners form",
        "asset.set_owners",
        "get",
        lambda w: reverse("governance:asset_owners_edit", args=[w.asset.pk]),
    ),
    Endpoint(
        "page owners save",
        "asset.set_owners",
        "post",
        lambda w: reverse("governance:asset_owners_edit", args=[w.asset.pk]),
        lambda w: {"owner_type": "steward", "users": [w.subject.pk]},
    ),
    Endpoint(
        "page tier form",
        "asset.set_tier",
        "get",
        lambda w: reverse("governance:asset_tier_edit", args=[w.asset.pk]),
    ),
    Endpoint(
        "page tier save",
        "asset.set_tier",
        "post",
        lambda w: reverse("governance:asset_tier_edit", args=[w.asset.pk]),
        lambda w: {"tier": 2},
    ),
    Endpoint(
        "page description form",
        "asset.describe",
        "get",
        lambda w: reverse("governance:asset_description_edit", args=[w.asset.pk]),
    ),
    Endpoint(
        "page description save",
        "asset.describe",
        "post",
        lambda w: reverse("governance:asset_description_edit", args=[w.asset.pk]),
        lambda w: {"text": "Things, one row each."},
    ),
    Endpoint(
        "page policy form",
        "policy.edit",
        "get",
        lambda w: reverse("governance:policy_edit", args=[1]),
    ),
    Endpoint(
        "page policy save",
        "policy.edit",
        "post",
        lambda w: reverse("governance:policy_edit", args=[2]),
        lambda w: {
            "freshness_sla_hours": 48,
            "required_tests": "unique, not_null",
            "column_docs_target_pct": 80,
            "owner_required": "on",
        },
        ok=(302,),
    ),
    Endpoint(
        "page team create",
        "team.manage",
        "post",
        lambda w: reverse("governance:team_create"),
        lambda w: {"name": "Finance Analytics", "members": [w.subject.pk]},
        ok=(302,),
    ),
    Endpoint("page audit log", "audit.view", "get", lambda w: reverse("governance:audit_log")),
    Endpoint("page audit csv", "audit.view", "get", lambda w: reverse("governance:audit_csv")),
    Endpoint("page roles", "users.manage", "get", lambda w: reverse("governance:roles")),
    Endpoint(
        "page roles save",
        "users.manage",
        "post",
        lambda w: reverse("governance:roles"),
        lambda w: {"user": w.subject.pk, "roles": ["analyst"]},
        ok=(302,),
    ),
    Endpoint(
        "page webhooks", "webhook.manage", "get", lambda w: reverse("metrics_dictionary:webhooks")
    ),
    Endpoint(
        "page webhook create",
        "webhook.manage",
        "post",
        lambda w: reverse("metrics_dictionary:webhooks"),
        lambda w: {"url": "https://hooks.example.com/matrix", "events": ["metric.approved"]},
    ),
    Endpoint(
        "page webhook",
        "webhook.manage",
        "get",
        lambda w: reverse("metrics_dictionary:webhook", args=[w.webhook.pk]),
    ),
    Endpoint(
        "page webhook edit",
        "webhook.manage",
        "post",
        lambda w: reverse("metrics_dictionary:webhook_edit", args=[w.webhook.pk]),
        lambda w: {"url": "https://hooks.example.com/edited", "active": "on"},
        ok=(302,),
    ),
    # API
    Endpoint("api assets", "catalog.view", "get", lambda w: "/api/v1/assets/", api=True),
    Endpoint(
        "api asset", "catalog.view", "get", lambda w: f"/api/v1/assets/{w.asset.pk}/", api=True
    ),
    Endpoint("api search", "catalog.view", "get", lambda w: "/api/v1/search/?q=things", api=True),
    Endpoint(
        "api lineage", "catalog.view", "get", lambda w: f"/api/v1/lineage/{w.asset.pk}/", api=True
    ),
    Endpoint(
        "api column lineage",
        "catalog.view",
        "get",
        lambda w: f"/api/v1/lineage/columns/{w.column.pk}/",
        api=True,
    ),
    Endpoint(
        "api explain",
        "catalog.view",
        "post",
        lambda w: "/api/v1/lineage/explain/",
        lambda w: {"sql": "select a from t"},
        api=True,
    ),
    Endpoint(
        "api policies", "catalog.view", "get", lambda w: "/api/v1/governance/policies/", api=True
    ),
    Endpoint(
        "api policy", "catalog.view", "get", lambda w: "/api/v1/governance/policies/1/", api=True
    ),
    Endpoint(
        "api policy checks",
        "catalog.view",
        "get",
        lambda w: f"/api/v1/governance/assets/{w.asset.pk}/policy-checks/",
        api=True,
    ),
    Endpoint(
        "api dbt meta patch",
        "catalog.view",
        "get",
        lambda w: f"/api/v1/governance/projects/{w.project.pk}/dbt-meta-patch/",
        api=True,
    ),
    Endpoint("api metrics", "catalog.view", "get", lambda w: "/api/v1/metrics/", api=True),
    Endpoint(
        "api metric", "catalog.view", "get", lambda w: f"/api/v1/metrics/{w.metric.slug}/", api=True
    ),
    Endpoint(
        "api metric create",
        "metric.propose",
        "post",
        lambda w: "/api/v1/metrics/",
        lambda w: {"name": "Things returned", "formula": "COUNT(thing_id)"},
        ok=(201,),
        api=True,
    ),
    Endpoint(
        "api asset deprecate",
        "asset.deprecate",
        "post",
        lambda w: f"/api/v1/assets/{w.asset.pk}/deprecate/",
        lambda w: {"reason": "Replaced by dim_things_v2."},
        ok=(200, 201),
        api=True,
    ),
    Endpoint(
        "api asset deprecation withdraw",
        "asset.deprecate",
        "delete",
        lambda w: f"/api/v1/assets/{w.asset.pk}/deprecate/",
        ok=(200, 409),
        api=True,
    ),
    Endpoint(
        "api usage", "catalog.view", "get", lambda w: f"/api/v1/usage/{w.asset.pk}/", api=True
    ),
    Endpoint(
        "api query-log ingest",
        "ingest.run",
        "post",
        lambda w: "/api/v1/ingest/querylog/",
        ok=(400,),
        api=True,
        fmt="multipart",
    ),
    Endpoint(
        "api ingest",
        "ingest.run",
        "post",
        lambda w: "/api/v1/ingest/dbt/",
        ok=(400,),
        api=True,
        fmt="multipart",
    ),
    Endpoint(
        "api policy put",
        "policy.edit",
        "put",
        lambda w: "/api/v1/governance/policies/2/",
        _policy_body,
        api=True,
    ),
    Endpoint("api audit", "audit.view", "get", lambda w: "/api/v1/audit/", api=True),
    Endpoint(
        "api scorecard",
        "scorecard.view",
        "get",
        lambda w: "/api/v1/governance/scorecard/",
        api=True,
    ),
    Endpoint(
        "api column classifications",
        "catalog.view",
        "get",
        lambda w: f"/api/v1/columns/{w.column.pk}/classifications/",
        api=True,
    ),
    Endpoint(
        "api classify",
        "column.classify",
        "post",
        lambda w: f"/api/v1/columns/{w.column.pk}/classifications/",
        lambda w: {"category": "email", "sensitivity": "high", "status": "confirmed"},
        ok=(201,),
        api=True,
    ),
    Endpoint(
        "api review queue",
        "column.classify",
        "get",
        lambda w: "/api/v1/governance/review-queue/",
        api=True,
    ),
    Endpoint("api webhooks", "webhook.manage", "get", lambda w: "/api/v1/webhooks/", api=True),
    Endpoint(
        "api webhook create",
        "webhook.manage",
        "post",
        lambda w: "/api/v1/webhooks/",
        lambda w: {"url": "https://hooks.example.com/matrix", "events": ["metric.deprecated"]},
        ok=(201,),
        api=True,
    ),
    Endpoint(
        "api webhook",
        "webhook.manage",
        "get",
        lambda w: f"/api/v1/webhooks/{w.webhook.pk}/",
        api=True,
    ),
    Endpoint(
        "api webhook patch",
        "webhook.manage",
        "patch",
        lambda w: f"/api/v1/webhooks/{w.webhook.pk}/",
        lambda w: {"active": False},
        api=True,
    ),
    Endpoint(
        "api webhook deliveries",
        "webhook.manage",
        "get",
        lambda w: f"/api/v1/webhooks/{w.webhook.pk}/deliveries/",
        api=True,
    ),
]

# Object-level actions: who may do them depends on the metric (its owners, its proposer,
# its tier's rule), so a role alone does not decide the HTTP answer. Their refusals and
# permissions per object are tested in tests/metrics_dictionary (workflow, pages, API).
# Webhooks (admins only) have rows above; their other endpoints (rotate, ping, delete) are
# refused to every other role in tests/metrics_dictionary/test_webhooks_admin.py.
NO_ENDPOINT_HERE = {
    "metric.edit",
    "metric.submit",
    "metric.review",
    "metric.manage",
    "metric.deprecate",
}


@pytest.fixture
def world(db) -> World:
    from django.contrib.auth import get_user_model

    project = Project.objects.create(name="matrix")
    asset = Asset.objects.create(
        project=project,
        unique_id="model.matrix.dim_things",
        kind="model",
        name="dim_things",
        dbt_tier=1,
    )
    column = Column.objects.create(asset=asset, name="thing_id", name_key="thing_id", position=0)
    subject = get_user_model().objects.create_user(username="sam", email="sam@example.com")
    from django.contrib.auth.models import Group

    from metrics_dictionary.services.proposals import metric_propose

    proposer = get_user_model().objects.create_user(username="pam", email="pam@example.com")
    proposer.groups.add(Group.objects.get_or_create(name=ANALYST)[0])
    metric = metric_propose(
        name="Things shipped",
        actor=proposer,
        definition={"formula": "COUNT(thing_id)", "related_asset_ids": [asset.pk]},
    ).metric
    from metrics_dictionary.models import Webhook

    webhook = Webhook.objects.create(
        name="matrix", url="https://hooks.example.com/matrix", secret_salt="salt"
    )
    return World(project, asset, column, subject, metric, webhook)


def _request(endpoint: Endpoint, user, world: World, client):
    url = endpoint.url(world)
    data = endpoint.data(world)
    if endpoint.api:
        api = token_client(user) if user is not None else APIClient()
        return getattr(api, endpoint.method)(url, data, format=endpoint.fmt)
    if user is not None:
        client.force_login(user)
    return getattr(client, endpoint.method)(url, data)


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_each_role_gets_exactly_the_endpoints_its_actions_allow(
    endpoint, actor, world, client, request
):
    user = request.getfixturevalue(actor)
    response = _request(endpoint, user, world, client)
    if ACTORS[actor] in EXPECTED[endpoint.action]:
        assert response.status_code in endpoint.ok, (endpoint.name, actor, response.status_code)
    else:
        assert response.status_code == 403, (endpoint.name, actor, response.status_code)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_anonymous_visitors_sign_in_first(endpoint, world, client):
    response = _request(endpoint, None, world, client)
    if endpoint.api:
        # Token auth comes first, so DRF answers 401 with its challenge, not 403.
        assert (
            response.status_code == 401
            and "credentials were not provided" in response.json()["detail"]
        )
        assert "Bearer" in response["WWW-Authenticate"]
    else:
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_the_rules_answer_the_expected_matrix(action, actor, request):
    user = request.getfixturevalue(actor)
    assert check(user, action).allowed is (ACTORS[actor] in EXPECTED[action])


def test_every_registered_action_has_a_matrix_row_and_an_endpoint():
    assert set(actions()) == set(EXPECTED), "add a row to EXPECTED for each new action"
    covered = {e.action for e in ENDPOINTS}
    assert set(EXPECTED) - covered <= NO_ENDPOINT_HERE


def test_the_documented_matrix_is_the_registry():
    docs = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
    assert docs.read_text() == role_matrix_markdown(), (
        "docs/permissions.md is stale: run "
        "`python manage.py permissions_matrix --write docs/permissions.md`"
    )
