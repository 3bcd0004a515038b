"""The metric dictionary API: the workflow over HTTP, 403 vs 409 with a reason, the schema."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from catalog.models import Asset, SearchDocument
from governance.models import AuditEvent
from metrics_dictionary.models import Metric
from tests.factories import token_client

pytestmark = pytest.mark.django_db

NEW_METRIC = {
    "name": "Invoiced revenue",
    "tier": 2,
    "domain": "Finance",
    "formula": "SUM(amount_usd)",
    "description": "What we billed.",
    "metric_type": "simple",
    "time_grains": ["month"],
    "unit": "USD",
    "related_assets": ["model.saas_analytics.fct_revenue"],
    "owners": ["olivia"],
}


@pytest.fixture
def catalog_ready(example_manifest_catalog, db):
    return example_manifest_catalog


def test_the_whole_workflow_over_the_api(catalog_ready, analyst, metric_owner):
    andy, olivia = token_client(analyst), token_client(metric_owner)
    created = andy.post("/api/v1/metrics/", NEW_METRIC, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (
        body["slug"] == "invoiced-revenue"
        and body["status"] == "draft"
        and body["definition"] is None
    )
    assert [o["user"] for o in body["owners"]] == ["olivia"]
    version = andy.get("/api/v1/metrics/invoiced-revenue/versions/1/").json()
    assert version["state"] == "draft" and version["related_assets"] == [
        "model.saas_analytics.fct_revenue"
    ]
    assert version["related_columns"] == ["model.saas_analytics.fct_revenue.amount_usd"]
    assert (
        andy.post("/api/v1/metrics/invoiced-revenue/versions/1/submit/", {}, format="json").json()[
            "state"
        ]
        == "in_review"
    )
    approved = olivia.post(
        "/api/v1/metrics/invoiced-revenue/versions/1/approve/", {"comment": "ok"}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert approved.json()["reviews"][0]["comment"] == "ok"
    detail = andy.get("/api/v1/metrics/invoiced-revenue/").json()
    assert detail["status"] == "approved" and detail["definition"]["number"] == 1
    # A change: a new draft version, diffed against v1.
    v2 = andy.post(
        "/api/v1/metrics/invoiced-revenue/versions/",
        {"formula": "SUM(amount_usd) - SUM(amount)", "change_summary": "Net"},
        format="json",
    )
    assert v2.status_code == 201 and v2.json()["number"] == 2 and v2.json()["unit"] == "USD"
    diff = andy.get("/api/v1/metrics/invoiced-revenue/versions/2/diff/", {"against": 1}).json()
    changed = {f["field"]: f for f in diff["fields"] if f["changed"]}
    assert set(changed) == {"formula", "change_summary", "related_columns"}
    assert changed["formula"]["old"] == "SUM(amount_usd)"
    listing = andy.get("/api/v1/metrics/", {"domain": "Finance"}).json()["results"]
    assert "invoiced-revenue" in [m["slug"] for m in listing]
    assert {m["domain"].lower() for m in listing} == {
        "finance"
    }  # the dbt group "finance" counts as the domain
    product = andy.get("/api/v1/metrics/", {"domain": "product"}).json()["results"]
    assert product and "invoiced-revenue" not in [m["slug"] for m in product]


def test_refusals_are_403_or_409_with_a_reason(catalog_ready, analyst, metric_owner, viewer):
    andy, olivia, vera = token_client(analyst), token_client(metric_owner), token_client(viewer)
    refused = vera.post("/api/v1/metrics/", NEW_METRIC, format="json")
    assert refused.status_code == 403 and "analyst role" in refused.json()["detail"]
    andy.post("/api/v1/metrics/", NEW_METRIC, format="json")
    draft = olivia.post("/api/v1/metrics/invoiced-revenue/versions/1/approve/", {}, format="json")
    assert draft.status_code == 409 and "not in review" in draft.json()["detail"]
    andy.post("/api/v1/metrics/invoiced-revenue/versions/1/submit/", {}, format="json")
    own = andy.post("/api/v1/metrics/invoiced-revenue/versions/1/approve/", {}, format="json")
    assert own.status_code == 403 and "You proposed this version" in own.json()["detail"]
    olivia.post(
        "/api/v1/metrics/invoiced-revenue/versions/1/reject/",
        {"comment": "duplicate"},
        format="json",
    )
    again = olivia.post("/api/v1/metrics/invoiced-revenue/versions/1/approve/", {}, format="json")
    assert again.status_code == 409 and again.json()["kind"] == "conflict"
    invalid = andy.post(
        "/api/v1/metrics/", {**NEW_METRIC, "name": "Other", "formula": "SUM(("}, format="json"
    )
    assert invalid.status_code == 400 and "formula" in invalid.json()["errors"]
    assert andy.get("/api/v1/metrics/nope/").status_code == 404


def test_deprecate_over_the_api(catalog_ready, analyst, metric_owner, viewer):
    andy, olivia = token_client(analyst), token_client(metric_owner)
    andy.post("/api/v1/metrics/", NEW_METRIC, format="json")
    assert (
        andy.post(
            "/api/v1/metrics/invoiced-revenue/deprecate/", {"reason": "x"}, format="json"
        ).status_code
        == 403
    )
    response = olivia.post(
        "/api/v1/metrics/invoiced-revenue/deprecate/",
        {"reason": "Use MRR", "sunset_date": "2030-01-31", "replacement": "mrr"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["replacement"] == "mrr"
    detail = token_client(viewer).get("/api/v1/metrics/invoiced-revenue/").json()
    assert detail["status"] == "deprecated" and detail["deprecation"]["sunset_date"] == "2030-01-31"
    assert detail["banners"][0]["title"] == "Deprecated"
    twice = olivia.post(
        "/api/v1/metrics/invoiced-revenue/deprecate/", {"reason": "again"}, format="json"
    )
    assert twice.status_code == 409

    # Withdrawn with DELETE: only by someone who may deprecate it, and only once.
    assert andy.delete("/api/v1/metrics/invoiced-revenue/deprecate/").status_code == 403
    withdrawn = olivia.delete("/api/v1/metrics/invoiced-revenue/deprecate/")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"]
    detail = token_client(viewer).get("/api/v1/metrics/invoiced-revenue/").json()
    assert (
        detail["deprecation"] is None and detail["status"] != "deprecated" and not detail["banners"]
    )
    again = olivia.delete("/api/v1/metrics/invoiced-revenue/deprecate/")
    assert again.status_code == 409 and "not deprecated" in again.json()["detail"]
    assert AuditEvent.objects.filter(
        action="deprecation.withdraw", object_id=str(Metric.objects.get(slug="invoiced-revenue").pk)
    ).exists()


def test_session_auth_works_and_outsiders_are_refused(catalog_ready, client, viewer, outsider):
    client.force_login(viewer)
    assert client.get("/api/v1/metrics/").status_code == 200
    client.force_login(outsider)
    assert client.get("/api/v1/metrics/").status_code == 403


def test_impact_endpoint_lists_columns_and_downstream(catalog_ready, analyst, metric_owner):
    andy = token_client(analyst)
    andy.post(
        "/api/v1/metrics/",
        {**NEW_METRIC, "formula": "SUM(amount_usd) + SUM(plan_name) + SUM(ghost)"},
        format="json",
    )
    impact = andy.get("/api/v1/metrics/invoiced-revenue/versions/1/impact/").json()
    columns = {c["name"]: c for c in impact["columns"]}
    assert columns["amount_usd"]["exists"] and columns["amount_usd"]["compatible"] is True
    assert columns["plan_name"]["compatible"] is False
    assert columns["ghost"]["exists"] is False
    assert any("ghost" in p for p in impact["problems"])
    assert impact["usage"] == [] and impact["usage_reason"] == "no query log has been ingested yet"
    assert impact["downstream"], "fct_revenue has downstream assets in the example project"
    assert Asset.objects.filter(pk__in=[d["id"] for d in impact["downstream"]]).exists()


def test_token_create_command_prints_a_key_the_api_accepts(catalog_ready, analyst):
    out = io.StringIO()
    call_command("token_create", "andy", "--name", "ci", stdout=out, stderr=io.StringIO())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip()}")
    assert client.get("/api/v1/metrics/").status_code == 200


def test_openapi_schema_builds_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in (
        "/api/v1/metrics/",
        "/api/v1/metrics/{slug}/versions/{number}/diff/",
        "/api/v1/metrics/{slug}/versions/{number}/request-changes/",
        "/api/v1/metrics/{slug}/deprecate/",
    ):
        assert path in text


def test_a_draft_is_edited_with_patch_by_its_proposer_only(catalog_ready, analyst, metric_owner):
    andy, olivia = token_client(analyst), token_client(metric_owner)
    andy.post("/api/v1/metrics/", NEW_METRIC, format="json")
    edited = andy.patch(
        "/api/v1/metrics/invoiced-revenue/versions/1/", {"unit": "EUR"}, format="json"
    )
    assert (
        edited.status_code == 200
        and edited.json()["unit"] == "EUR"
        and edited.json()["formula"] == "SUM(amount_usd)"
    )
    refused = olivia.patch(
        "/api/v1/metrics/invoiced-revenue/versions/1/", {"unit": "GBP"}, format="json"
    )
    assert refused.status_code == 403 and "proposer" in refused.json()["detail"]


def test_a_catalog_asset_is_deprecated_over_the_api(catalog_ready, analyst, reviewer):
    mart = Asset.objects.get(unique_id="model.saas_analytics.fct_revenue")
    body = {
        "reason": "Use fct_mrr",
        "replacement_asset": "model.saas_analytics.fct_mrr",
        "sunset_date": "2031-01-01",
    }
    assert (
        token_client(analyst)
        .post(f"/api/v1/assets/{mart.pk}/deprecate/", body, format="json")
        .status_code
        == 403
    )
    response = token_client(reviewer).post(
        f"/api/v1/assets/{mart.pk}/deprecate/", body, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["replacement_asset"] == "model.saas_analytics.fct_mrr"
    again = token_client(reviewer).post(f"/api/v1/assets/{mart.pk}/deprecate/", body, format="json")
    assert again.status_code == 409 and "already deprecated" in again.json()["detail"]
    assert SearchDocument.objects.get(asset=mart).deprecated

    assert token_client(analyst).delete(f"/api/v1/assets/{mart.pk}/deprecate/").status_code == 403
    withdrawn = token_client(reviewer).delete(f"/api/v1/assets/{mart.pk}/deprecate/")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"]
    assert not SearchDocument.objects.get(asset=mart).deprecated  # ranked normally again
    assert token_client(reviewer).delete(f"/api/v1/assets/{mart.pk}/deprecate/").status_code == 409


@pytest.mark.parametrize("n", [3, 30])
def test_list_and_detail_query_counts_stay_flat(
    n, analyst, metric_owner, django_assert_max_num_queries
):
    from metrics_dictionary.services.proposals import metric_propose
    from metrics_dictionary.services.reviews import metric_version_approve, metric_version_submit

    for i in range(n):
        version = metric_propose(
            name=f"Metric {i}",
            actor=analyst,
            owner_users=[metric_owner],
            definition={"formula": "SUM(x)"},
        )
        metric_version_submit(version=version, actor=analyst)
        metric_version_approve(version=version, actor=metric_owner)
    client = token_client(analyst)
    with django_assert_max_num_queries(9):
        body = client.get("/api/v1/metrics/").json()
    assert body["count"] == n
    with django_assert_max_num_queries(16):
        assert client.get("/api/v1/metrics/metric-1/").json()["definition"]["number"] == 1


def test_the_api_refuses_a_deactivated_owner_as_the_form_does(catalog_ready, analyst, metric_owner):
    metric_owner.is_active = False
    metric_owner.save()
    refused = token_client(analyst).post("/api/v1/metrics/", NEW_METRIC, format="json")
    assert refused.status_code == 400, refused.json()
    assert "olivia" in str(refused.json())
    assert not Metric.objects.filter(name=NEW_METRIC["name"]).exists()


def test_owners_from_names_keeps_order_and_names_the_unknown(metric_owner, analyst, db):
    from governance.models import Team
    from governance.selectors import owners_from_names

    team = Team.objects.create(name="finance")
    resolved = owners_from_names(["finance", metric_owner.username, "nobody", analyst.username])
    assert resolved.users == [metric_owner, analyst]
    assert resolved.teams == [team] and resolved.unknown == ["nobody"]
    by_email = owners_from_names([metric_owner.email.upper()], teams=False, emails=True)
    assert by_email.users == [metric_owner]
