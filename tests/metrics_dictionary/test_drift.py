"""Drift: an approved metric flagged after an ingest renames or retypes its column."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from catalog.models import Asset
from metrics_dictionary.models import ChangeLogEntry, Metric, Webhook, WebhookDelivery
from metrics_dictionary.services.proposals import metric_propose
from metrics_dictionary.services.reviews import metric_version_approve, metric_version_submit
from tests.factories import EXAMPLE_MANIFEST, example_json, ingest_ok, write_json

pytestmark = pytest.mark.django_db
FCT_REVENUE = "model.saas_analytics.fct_revenue"


@pytest.fixture
def approved_metric(example_manifest_catalog, analyst, metric_owner):
    model = Asset.objects.get(unique_id=FCT_REVENUE)
    version = metric_propose(
        name="Invoiced revenue",
        actor=analyst,
        owner_users=[metric_owner],
        definition={"formula": "SUM(amount_usd)", "related_asset_ids": [model.pk], "unit": "USD"},
    )
    assert [c.name for c in version.related_columns.all()] == ["amount_usd"]
    metric_version_submit(version=version, actor=analyst)
    metric_version_approve(version=version, actor=metric_owner)
    metric = Metric.objects.get(slug="invoiced-revenue")
    assert not metric.needs_attention
    return metric


def _manifest_with(tmp_path, change):
    manifest = example_json()
    change(manifest["nodes"][FCT_REVENUE]["columns"])
    return write_json(tmp_path / "manifest.json", manifest)


def test_a_renamed_column_flags_the_metric_notifies_owners_and_shows_a_banner(
    approved_metric, tmp_path, client, viewer, django_capture_on_commit_callbacks
):
    Webhook.objects.create(name="ops", url="http://127.0.0.1:9/hook", secret_salt="s")

    def rename(columns):
        column = columns.pop("amount_usd")
        column["name"] = "amount_in_usd"
        columns["amount_in_usd"] = column

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ingest_ok(_manifest_with(tmp_path, rename))
    approved_metric.refresh_from_db()
    assert approved_metric.needs_attention
    messages = [r["message"] for r in approved_metric.attention_reasons]
    assert "Column amount_usd of fct_revenue was removed or renamed." in messages
    assert approved_metric.attention_reasons[0]["column"] == "amount_usd"
    assert ChangeLogEntry.objects.filter(metric=approved_metric, kind="needs_attention").exists()
    delivery = WebhookDelivery.objects.get(
        event="metric.needs_attention", payload__metric__slug="invoiced-revenue"
    )
    assert (
        delivery.status == "failed" and "refused" in delivery.last_error
    )  # nobody listens on port 9
    # Owners are emailed after the ingest commits.
    owner_mail = [
        m for m in mail.outbox if "olivia@example.com" in m.to and "Invoiced revenue" in m.subject
    ]
    assert owner_mail and "amount_usd of fct_revenue" in owner_mail[0].body
    client.force_login(viewer)
    banner = client.get(reverse("metrics_dictionary:metric_banner", args=["invoiced-revenue"]))
    assert banner.status_code == 200
    assert (
        "Needs attention" in banner.text
        and "Column amount_usd of fct_revenue was removed or renamed." in banner.text
    )
    page = client.get(reverse("metrics_dictionary:metric", args=["invoiced-revenue"]))
    assert page.status_code == 200
    assert (
        "Needs attention" in page.text
        and "Column amount_usd of fct_revenue was removed or renamed." in page.text
    )


def test_a_type_change_flags_the_metric_and_a_restore_clears_it(approved_metric, tmp_path):
    def retype(columns):
        columns["amount_usd"]["data_type"] = "varchar"

    ingest_ok(_manifest_with(tmp_path, retype))
    approved_metric.refresh_from_db()
    assert [r["kind"] for r in approved_metric.attention_reasons] == ["type_changed"]
    assert "from decimal(18,2) to varchar" in approved_metric.attention_reasons[0]["message"]
    ingest_ok(EXAMPLE_MANIFEST)
    approved_metric.refresh_from_db()
    assert not approved_metric.needs_attention and approved_metric.attention_reasons == []


def test_a_removed_model_flags_the_metric(approved_metric, tmp_path):
    manifest = example_json()
    del manifest["nodes"][FCT_REVENUE]
    manifest["semantic_models"].pop("semantic_model.saas_analytics.revenue")
    for key in [
        k
        for k, v in manifest["metrics"].items()
        if "revenue" in k or "paid" in k or "conversion" in k
    ]:
        manifest["metrics"].pop(key)
    for key in [
        k
        for k, v in manifest["nodes"].items()
        if FCT_REVENUE in (v.get("depends_on") or {}).get("nodes", [])
    ]:
        manifest["nodes"].pop(key)
    for key in [
        k
        for k, v in manifest.get("exposures", {}).items()
        if FCT_REVENUE in v["depends_on"]["nodes"]
    ]:
        manifest["exposures"][key]["depends_on"]["nodes"].remove(FCT_REVENUE)
    for mapping in ("parent_map", "child_map"):
        manifest[mapping] = {}
    ingest_ok(write_json(tmp_path / "manifest.json", manifest))
    approved_metric.refresh_from_db()
    kinds = {r["kind"] for r in approved_metric.attention_reasons}
    assert "model_removed" in kinds
