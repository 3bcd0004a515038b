"""The schema.yml meta patch: parses as YAML, mirrors dbt's structure, and reads back
through our own meta reader (catalog.meta) as the same owners, tiers and PII."""

from __future__ import annotations

import pytest
import yaml
from django.urls import reverse

from catalog.meta import owners_from, pii_from, tier_from
from catalog.models import Asset, Project
from governance.models import Team
from governance.services import (
    asset_description_set,
    asset_owners_set,
    asset_tier_set,
    column_classification_decide,
)
from tests.factories import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(example_catalog, reviewer, analyst):
    """People's decisions on the example project: owners, tiers and PII, on models, a
    versioned model and a source."""
    team = Team.objects.create(name="Revenue", email="revenue@saas.example")
    assets = {a.name: a for a in Asset.objects.filter(kind__in=["model", "source"], version="")}
    dim_accounts_v2 = Asset.objects.get(kind="model", name="dim_accounts", version="2")
    app_users = Asset.objects.get(kind="source", name="app_users")
    asset_owners_set(
        asset=assets["fct_mrr"],
        users=(analyst,),
        teams=(team,),
        owner_type="business",
        actor=reviewer,
    )
    asset_tier_set(asset=assets["fct_support_tickets"], tier=2, actor=reviewer)
    asset_description_set(
        asset=assets["fct_mrr"], text="MRR per account and month.\n\nSee `mrr`.", actor=reviewer
    )
    asset_tier_set(asset=dim_accounts_v2, tier=3, actor=reviewer)
    dim_users = assets["dim_users"]
    column_classification_decide(
        column=dim_users.columns.get(name="signup_ip"),
        category="ip",
        status="confirmed",
        sensitivity="high",
        actor=reviewer,
    )
    column_classification_decide(
        column=dim_users.columns.get(name="email_domain"),
        category="none",
        status="rejected",
        actor=reviewer,
    )
    column_classification_decide(
        column=app_users.columns.get(name="email"),
        category="email",
        status="confirmed",
        actor=reviewer,
    )
    return {"project": Project.objects.get(), "team": team, "analyst": analyst}


def _download(client, user, project) -> tuple[str, dict]:
    client.force_login(user)
    response = client.get(reverse("governance:dbt_meta_patch", args=[project.pk]))
    assert response.status_code == 200
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and ".yml" in response["Content-Disposition"]
    )
    text = response.content.decode()
    return text, yaml.safe_load(text)


def test_the_patch_reads_back_as_the_same_owners_tiers_and_pii(client, viewer, decided):
    _text, patch = _download(client, viewer, decided["project"])
    assert patch["version"] == 2
    models = {m["name"]: m for m in patch["models"]}
    # only entries where people decided something
    assert set(models) == {"fct_mrr", "fct_support_tickets", "dim_accounts", "dim_users"}

    mrr_meta = models["fct_mrr"]["config"]["meta"]
    assert owners_from(mrr_meta) == [decided["analyst"].email, decided["team"].email]
    assert {(o["name"], o["type"]) for o in mrr_meta["lexicon_owners"]} == {
        (decided["analyst"].email, "business"),
        ("revenue@saas.example", "business"),
    }
    assert tier_from(mrr_meta, []) is None  # nobody changed fct_mrr's tier here
    assert models["fct_mrr"]["description"] == "MRR per account and month.\n\nSee `mrr`."
    assert "description" not in models["fct_support_tickets"]

    assert tier_from(models["fct_support_tickets"]["config"]["meta"], []) == 2
    (version,) = models["dim_accounts"]["versions"]
    assert version["v"] == 2 and tier_from(version["config"]["meta"], []) == 3

    columns = {c["name"]: c["meta"] for c in models["dim_users"]["columns"]}
    assert set(columns) == {"signup_ip", "email_domain"}
    assert pii_from(columns["signup_ip"], []) == "contains_pii=true"
    assert (
        columns["signup_ip"]["pii_category"] == "ip"
        and columns["signup_ip"]["pii_sensitivity"] == "high"
    )
    assert pii_from(columns["email_domain"], []) == ""
    assert "config" not in models["dim_users"]  # no model-level decision on dim_users

    (source,) = patch["sources"]
    assert source["name"] == "app" and [t["name"] for t in source["tables"]] == ["app_users"]
    (email,) = source["tables"][0]["columns"]
    assert email["name"] == "email" and pii_from(email["meta"], []) == "contains_pii=true"


def test_api_serves_the_same_patch(client, viewer, decided):
    text, _patch = _download(client, viewer, decided["project"])
    response = token_client(viewer).get(
        f"/api/v1/governance/projects/{decided['project'].pk}/dbt-meta-patch/"
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("application/yaml")
    assert response.content.decode() == text


def test_a_project_without_decisions_gives_an_empty_patch(example_catalog, client, viewer):
    _text, patch = _download(client, viewer, Project.objects.get())
    assert patch == {"version": 2}


def test_the_governance_page_links_each_projects_patch(client, viewer, decided):
    client.force_login(viewer)
    html = client.get(reverse("governance:index")).content.decode()
    assert reverse("governance:dbt_meta_patch", args=[decided["project"].pk]) in html
