from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Asset, Column, DataTest, IngestRun, NodeRunResult, Project
from governance.models import AuditEvent, ColumnClassification, Team, TierPolicy
from governance.policies import (
    conventional_key_names,
    default_policy,
    policy_checks,
    policy_checks_many,
    tier_policy,
)
from governance.services import PolicyError, asset_owners_set, asset_tier_set, tier_policy_update
from tests.factories import token_client

pytestmark = pytest.mark.django_db


def _by_name(checks) -> dict[str, object]:
    return {c.name: c for c in checks}


def _model(
    name: str = "dim_things",
    *,
    tier: int | None = 1,
    description: str = "Things.",
    owners=("a@x.io",),
    columns=("thing_id", "label"),
) -> Asset:
    project = Project.objects.get_or_create(name="p")[0]
    asset = Asset.objects.create(
        project=project,
        unique_id=f"model.p.{name}",
        kind="model",
        name=name,
        dbt_tier=tier,
        description=description,
        dbt_owners=list(owners),
    )
    for i, column in enumerate(columns):
        Column.objects.create(
            asset=asset, name=column, name_key=column, position=i, description=f"{column} text"
        )
    return asset


def _test(asset: Asset, column: str, test_name: str) -> None:
    DataTest.objects.create(
        project=asset.project,
        unique_id=f"test.{asset.name}.{test_name}_{column}",
        name=f"{test_name}_{column}",
        test_type="generic",
        test_name=test_name,
        asset=asset,
        column_name=column,
    )


def _ran(asset: Asset, hours_ago: float) -> None:
    run = IngestRun.objects.create(project=asset.project, status=IngestRun.Status.SUCCEEDED)
    done = timezone.now() - timedelta(hours=hours_ago)
    NodeRunResult.objects.create(
        project=asset.project,
        ingest_run=run,
        invocation_id=f"inv-{run.pk}",
        unique_id=asset.unique_id,
        asset=asset,
        status="success",
        completed_at=done,
        generated_at=done,
    )


def test_defaults_come_from_the_settings_until_a_reviewer_edits(settings):
    settings.LEXICON_TIER_FRESHNESS_SLA_HOURS = {1: 12, 2: 48, 3: 100}
    assert tier_policy(1).freshness_sla_hours == 12 and tier_policy(1).pk is None
    assert tier_policy(1).required_tests == ["unique", "not_null"]
    assert tier_policy(3).required_tests == []


def test_an_asset_without_a_tier_has_no_policy_checks():
    assert policy_checks(_model(tier=None)) == []


def test_the_primary_key_convention_strips_the_layer_and_plural():
    assert conventional_key_names("dim_accounts") == ["id", "account_id"]
    assert conventional_key_names("fct_support_tickets") == ["id", "support_ticket_id", "ticket_id"]
    assert conventional_key_names("stg_companies") == ["id", "company_id"]


def test_tests_check_needs_unique_and_not_null_on_the_conventional_key():
    asset = _model()
    _test(asset, "thing_id", "not_null")
    check = _by_name(policy_checks(asset))["tests"]
    assert (
        not check.passed
        and "thing_id: unique" in check.detail
        and "naming convention" in check.detail
    )
    _test(asset, "thing_id", "unique")
    assert _by_name(policy_checks(asset))["tests"].passed


def test_meta_primary_key_wins_over_the_name():
    asset = _model(columns=("thing_id", "code"))
    asset.meta = {"primary_key": "code"}
    asset.save()
    _test(asset, "thing_id", "unique")
    _test(asset, "thing_id", "not_null")
    check = _by_name(policy_checks(asset))["tests"]
    assert not check.passed and "code" in check.detail and "meta.primary_key" in check.detail


def test_without_a_named_key_a_tested_column_counts_and_none_fails_with_advice():
    asset = _model("fct_revenue", columns=("invoice_id", "amount"))
    assert "no primary key found" in _by_name(policy_checks(asset))["tests"].detail
    _test(asset, "invoice_id", "unique")
    _test(asset, "invoice_id", "not_null")
    check = _by_name(policy_checks(asset))["tests"]
    assert check.passed and "invoice_id" in check.detail


def test_owner_description_and_column_docs_checks():
    asset = _model(owners=(), description="", columns=("thing_id", "a", "b"))
    Column.objects.filter(asset=asset, name="b").update(description="")
    checks = _by_name(policy_checks(asset))
    assert not checks["owner"].passed and not checks["description"].passed
    assert not checks["column_docs"].passed and "2 of 3" in checks["column_docs"].detail
    team = Team.objects.create(name="Data platform")
    asset_owners_set(asset=asset, teams=(team,), actor=None)
    assert _by_name(policy_checks(asset))["owner"].passed


def test_freshness_uses_the_policy_sla_on_checks_and_on_the_asset_page(reviewer, viewer_client):
    asset = _model()
    _ran(asset, hours_ago=30)
    assert not _by_name(policy_checks(asset))["freshness"].passed  # default tier 1: 24 h
    html = viewer_client.get(reverse("catalog:asset", args=[asset.pk])).content.decode()
    assert "stale: " in html and "SLA 24 h" in html
    tier_policy_update(tier=1, freshness_sla_hours=48, actor=reviewer)
    check = _by_name(policy_checks(asset))["freshness"]
    assert check.passed and "SLA 48 h" in check.detail
    html = viewer_client.get(reverse("catalog:asset", args=[asset.pk])).content.decode()
    assert "fresh: " in html and "stale: " not in html and "SLA 48 h" in html


def test_a_reviewers_tier_decides_which_policy_applies(reviewer):
    asset = _model(tier=3, owners=())
    assert "owner" not in _by_name(policy_checks(asset))
    asset_tier_set(asset=asset, tier=1, actor=reviewer)
    assert not _by_name(policy_checks(asset))["owner"].passed


def test_pii_review_passes_when_every_column_is_decided(reviewer):
    from governance.services import column_classification_decide

    asset = _model(columns=("thing_id", "email"))
    check = _by_name(policy_checks(asset))["pii_review"]
    assert not check.passed and "2 of 2" in check.detail
    column_classification_decide(
        column=asset.columns.get(name="email"), category="email", status="confirmed", actor=reviewer
    )
    column_classification_decide(
        column=asset.columns.get(name="thing_id"),
        category="none",
        status="rejected",
        actor=reviewer,
    )
    assert _by_name(policy_checks(asset))["pii_review"].passed
    assert ColumnClassification.objects.count() == 2


def test_example_project_tier_one_models_against_independent_counts(example_catalog):
    models = list(Asset.objects.filter(kind="model", dbt_tier=1, removed_at__isnull=True))
    results = policy_checks_many(models)
    for asset in models:
        checks = _by_name(results[asset.pk])
        columns = list(asset.columns.filter(removed_at__isnull=True))
        described = sum(1 for c in columns if c.description.strip())
        assert checks["column_docs"].passed is (100 * described / len(columns) >= 95), asset.name
        assert checks["description"].passed is bool(asset.description.strip())
        assert checks["owner"].passed is bool(asset.dbt_owners)
        tested = {
            (t.column_name.lower(), t.test_name) for t in DataTest.objects.filter(asset=asset)
        }
        key_tested = any(
            {(n, "unique"), (n, "not_null")} <= tested
            for n in conventional_key_names(asset.name)
            if asset.columns.filter(name_key=n).exists()
        )
        if any(
            asset.columns.filter(name_key=n).exists() for n in conventional_key_names(asset.name)
        ):
            assert checks["tests"].passed is key_tested, asset.name


def test_batch_checks_use_a_fixed_number_of_queries(django_assert_max_num_queries):
    assets = [_model(f"dim_thing_{i}s", columns=(f"thing_{i}_id", "x")) for i in range(30)]
    with django_assert_max_num_queries(11):
        result = policy_checks_many(assets)
    assert len(result) == 30 and all(result.values())


# ---- editing policies


def test_policy_update_is_validated_and_audited_with_only_the_changed_fields(reviewer):
    with pytest.raises(PolicyError, match="freshness_sla_hours"):
        tier_policy_update(tier=1, freshness_sla_hours=0, actor=reviewer)
    with pytest.raises(PolicyError, match="tier"):
        tier_policy_update(tier=4, actor=reviewer)
    assert not TierPolicy.objects.exists()
    tier_policy_update(
        tier=2,
        freshness_sla_hours=12,
        required_tests=["unique", "unique", "not_null"],
        actor=reviewer,
    )
    policy = TierPolicy.objects.get(tier=2)
    assert policy.required_tests == ["unique", "not_null"] and policy.updated_by == reviewer
    event = AuditEvent.objects.get(action="policy.update")
    assert event.before == {"freshness_sla_hours": 72} and event.after == {
        "freshness_sla_hours": 12
    }
    assert event.actor_name == "grace"


def test_policy_page_form_saves_and_shows_the_new_values(client, reviewer):
    client.force_login(reviewer)
    response = client.post(
        reverse("governance:policy_edit", args=[3]),
        {
            "freshness_sla_hours": "200",
            "required_tests": "unique, not_null, relationships",
            "column_docs_target_pct": "50",
            "description_required": "on",
        },
    )
    assert response.status_code == 302
    html = client.get(reverse("governance:policies")).content.decode()
    assert "200 h" in html and "<code>relationships</code>" in html
    assert default_policy(3).freshness_sla_hours != 200


def test_policy_page_form_refuses_bad_input_by_field(client, reviewer):
    client.force_login(reviewer)
    response = client.post(
        reverse("governance:policy_edit", args=[1]),
        {"freshness_sla_hours": "-3", "column_docs_target_pct": "120"},
    )
    assert response.status_code == 400
    assert not TierPolicy.objects.exists()
    html = response.content.decode()
    assert "greater than or equal to 1" in html and "less than or equal to 100" in html


def test_policy_api_put_validates_audits_and_get_reads_back(reviewer, viewer):
    body = {
        "freshness_sla_hours": None,
        "required_tests": ["not_null"],
        "description_required": False,
        "column_docs_target_pct": 0,
        "owner_required": True,
        "pii_review_required": True,
    }
    api = token_client(reviewer)
    bad = api.put(
        "/api/v1/governance/policies/1/", {**body, "column_docs_target_pct": 101}, format="json"
    )
    assert bad.status_code == 400 and "column_docs_target_pct" in bad.json()
    response = api.put(
        "/api/v1/governance/policies/1/", body, format="json", HTTP_X_REQUEST_ID="ci-run-42"
    )
    assert response.status_code == 200 and response.json()["stored"] is True
    assert response["X-Request-ID"] == "ci-run-42"
    assert AuditEvent.objects.get(action="policy.update").request_id == "ci-run-42"
    read = token_client(viewer).get("/api/v1/governance/policies/1/").json()
    assert read["freshness_sla_hours"] is None and read["required_tests"] == ["not_null"]
    assert read["updated_by"] == "grace"
    assert token_client(viewer).get("/api/v1/governance/policies/4/").status_code == 404
    listed = token_client(viewer).get("/api/v1/governance/policies/").json()
    assert [(p["tier"], p["stored"]) for p in listed] == [(1, True), (2, False), (3, False)]


def test_asset_page_loads_the_policy_panel_with_pass_and_fail_badges(viewer_client):
    asset = _model(owners=())
    page = viewer_client.get(reverse("catalog:asset", args=[asset.pk])).content.decode()
    panel_url = reverse("governance:asset_policy_panel", args=[asset.pk])
    assert f'hx-get="{panel_url}"' in page
    panel = viewer_client.get(panel_url).content.decode()
    assert 'data-check="owner"' in panel and "✗ Owner assigned" in panel
    assert "✓ Description written" in panel
    api = viewer_client.get(f"/api/v1/governance/assets/{asset.pk}/policy-checks/").json()
    assert {c["name"]: c["passed"] for c in api}["owner"] is False
