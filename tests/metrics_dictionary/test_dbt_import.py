"""dbt semantic-layer metrics become dictionary metrics (example project and corpus)."""

from __future__ import annotations

import json

import pytest

from catalog.models import Asset
from metrics_dictionary.models import Metric, MetricStatus, MetricVersion, VersionState
from metrics_dictionary.services.definitions import _name_of
from tests.corpus import CORPUS_ROOT, require_corpus
from tests.factories import EXAMPLE_MANIFEST, example_json, ingest_ok, write_json

pytestmark = pytest.mark.django_db


def test_example_project_metrics_of_all_five_types_are_imported():
    ingest_ok(EXAMPLE_MANIFEST)  # a real ingest; the tests below start from its image
    manifest = example_json()
    metrics = {m.dbt_unique_id: m for m in Metric.objects.select_related("current_version")}
    assert set(metrics) == set(manifest["metrics"])
    assert len(metrics) == 12
    types = {m.current_version.metric_type for m in metrics.values()}
    assert types == {"simple", "ratio", "cumulative", "derived", "conversion"}
    for uid, metric in metrics.items():
        version = metric.current_version
        assert metric.defined_in_dbt and metric.status == MetricStatus.APPROVED
        assert version.source == "dbt" and version.state == VersionState.APPROVED
        assert version.metric_type == manifest["metrics"][uid]["type"]
        assert metric.asset.unique_id == uid
    revenue = metrics["metric.saas_analytics.revenue"].current_version
    assert revenue.type_params == {"measure": "revenue_usd"}
    assert "amount_usd" in revenue.formula and revenue.formula.startswith("SUM(")
    assert [a.name for a in revenue.related_assets.all()] == ["fct_revenue"]
    assert {c.name for c in revenue.related_columns.all()} >= {"amount_usd", "invoice_status"}
    churn = metrics["metric.saas_analytics.churn_rate"].current_version
    assert churn.type_params == {
        "numerator": "churned_accounts",
        "denominator": "accounts_at_start",
    }
    assert "NULLIF" in churn.formula
    arpa = metrics["metric.saas_analytics.arpa"].current_version
    assert arpa.type_params["expr"] == "mrr / active_accounts"
    assert arpa.type_params["metrics"] == ["mrr", "active_accounts"]
    trailing = metrics["metric.saas_analytics.trailing_12m_revenue"].current_version
    assert trailing.type_params["window"] == "12 months"
    conversion = metrics["metric.saas_analytics.signup_to_paid_conversion"].current_version
    params = conversion.type_params["conversion_type_params"]
    assert (
        params["base_measure"] == "signup_days"
        and params["entity"] == "account"
        and params["window"] == "30 days"
    )
    # Tier and owners follow dbt meta where given.
    assert metrics["metric.saas_analytics.churn_rate"].tier == 1


def test_reingesting_the_same_manifest_changes_nothing(example_manifest_catalog):
    before = list(MetricVersion.objects.order_by("pk").values_list("pk", "state", "number"))
    ingest_ok(EXAMPLE_MANIFEST)
    assert list(MetricVersion.objects.order_by("pk").values_list("pk", "state", "number")) == before


def test_a_dbt_change_creates_a_version_in_review_and_keeps_the_approved_one(
    example_manifest_catalog, tmp_path
):
    metric = Metric.objects.get(dbt_unique_id="metric.saas_analytics.churn_rate")
    approved = metric.current_version
    manifest = example_json()
    manifest["metrics"]["metric.saas_analytics.churn_rate"]["description"] = (
        "Share of accounts lost, restated."
    )
    ingest_ok(write_json(tmp_path / "manifest.json", manifest))
    metric.refresh_from_db()
    assert metric.current_version == approved
    approved.refresh_from_db()
    assert approved.state == VersionState.APPROVED and "restated" not in approved.description
    proposal = metric.versions.get(number=2)
    assert proposal.state == VersionState.IN_REVIEW and proposal.source == "dbt"
    assert proposal.description == "Share of accounts lost, restated."
    assert proposal.base_version == approved


def _corpus_manifests_with_metrics() -> list[str]:
    """Every corpus manifest whose provenance counts metrics (read from provenance.jsonl)."""
    from tests.corpus import PROVENANCE

    if not PROVENANCE.exists():
        return ["(corpus absent)"]
    out = []
    for line in PROVENANCE.read_text().splitlines():
        entry = json.loads(line)
        counts = (entry.get("dbt") or {}).get("counts") or {}
        if "/manifest" in entry["dest"] and counts.get("metrics"):
            out.append(entry["dest"].removeprefix("dbt/"))
    return sorted(out)


CORPUS_WITH_METRICS = _corpus_manifests_with_metrics()


@pytest.mark.corpus
@pytest.mark.parametrize("relative", CORPUS_WITH_METRICS)
def test_corpus_manifest_metrics_appear_in_the_dictionary(relative):
    require_corpus()
    path = CORPUS_ROOT / "dbt" / relative
    manifest = json.loads(path.read_text())
    run = ingest_ok(path)
    assert not [w for w in run.warnings if w.startswith("metric ")], (
        run.warnings
    )  # every definition validated
    metric_assets = Asset.objects.filter(
        kind="metric", removed_at__isnull=True, project=run.project
    )
    metrics = Metric.objects.filter(defined_in_dbt=True).select_related("current_version")
    assert metrics.count() == metric_assets.count() == len(manifest["metrics"])
    for metric in metrics:
        raw = manifest["metrics"][metric.dbt_unique_id]
        version = metric.current_version
        assert version is not None and version.state == VersionState.APPROVED
        raw_type = raw.get("type") or raw.get("calculation_method")
        if raw_type in ("simple", "ratio", "cumulative", "derived", "conversion"):
            assert version.metric_type == raw_type
            inputs = raw.get("type_params") or {}
            if raw_type == "simple" and inputs.get("measure"):
                assert _name_of(version.type_params["measure"]) == inputs["measure"]["name"]
            if raw_type == "derived":
                assert [_name_of(m) for m in version.type_params["metrics"]] == [
                    m["name"] for m in inputs["metrics"]
                ]
        else:  # legacy count/sum/...: a simple metric whose formula is the aggregation
            assert version.metric_type == "simple"
            assert version.formula.upper().startswith(raw_type.upper().replace("AVERAGE", "AVG"))


@pytest.mark.corpus
def test_dbt_1_12_metrics_without_measures_get_formula_and_model():
    require_corpus()
    ingest_ok(CORPUS_ROOT / "dbt" / "dbt-artifacts-parser" / "manifest-v12" / "manifest_1.12.json")
    tax = Metric.objects.get(dbt_unique_id="metric.jaffle_shop.average_tax_rate").current_version
    assert tax.formula == "AVG(tax_rate)"
    assert tax.type_params == {"agg": "average", "semantic_model": "locations", "expr": "tax_rate"}
    assert [a.name for a in tax.related_assets.all()] == ["locations"]
    cumulative = Metric.objects.get(
        dbt_unique_id="metric.jaffle_shop.cumulative_revenue"
    ).current_version
    assert (
        cumulative.type_params["metric"] == "revenue" and cumulative.formula == "SUM(product_price)"
    )
    growth = Metric.objects.get(
        dbt_unique_id="metric.jaffle_shop.revenue_growth_mom"
    ).current_version
    assert "SUM(product_price)" in growth.formula  # input metrics expanded to SQL over columns


def test_dbt_owners_who_are_lexicon_users_own_the_imported_metric(
    metric_owner, tmp_path, django_capture_on_commit_callbacks
):
    from django.core import mail

    from metrics_dictionary.services.reviews import metric_version_approve

    metric_owner.email = "dana@saas.example"  # meta.owner of churn_rate in the example project
    metric_owner.save(update_fields=["email"])
    ingest_ok(EXAMPLE_MANIFEST)
    churn = Metric.objects.get(dbt_unique_id="metric.saas_analytics.churn_rate")
    assert [o.user for o in churn.owners.all()] == [metric_owner]
    assert churn.owners.get().owner_type == "technical"
    # A dbt change is proposed by "dbt"; the owner is asked to review it and may approve it.
    manifest = example_json()
    manifest["metrics"]["metric.saas_analytics.churn_rate"]["label"] = "Logo churn rate"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ingest_ok(write_json(tmp_path / "manifest.json", manifest))
    assert any(
        "dana@saas.example" in m.to and "Review requested: " in m.subject for m in mail.outbox
    )
    proposal = churn.versions.get(number=2)
    assert proposal.proposed_by is None and proposal.label == "Logo churn rate"
    # Tier 1 (dbt meta): one owner's approval is not enough without a governance reviewer.
    metric_version_approve(version=proposal, actor=metric_owner)
    proposal.refresh_from_db()
    assert proposal.state == VersionState.IN_REVIEW
