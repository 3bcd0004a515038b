"""Ingest of our own example project: what a catalog user sees after `dbt build`."""

import copy
import json
import time

import pytest

from catalog.models import (
    Asset,
    AssetChange,
    Column,
    DataTest,
    IngestRun,
    NodeRunResult,
    SourceFreshnessResult,
)
from lineage.models import AssetEdge
from tests.factories import EXAMPLE_TARGET, example_json, ingest_ok, write_json

pytestmark = pytest.mark.django_db


def _manifest_counts(manifest: dict) -> dict[str, int]:
    kinds = {"model": 0, "seed": 0, "snapshot": 0, "analysis": 0, "test": 0}
    for node in manifest["nodes"].values():
        if node["resource_type"] in kinds:
            kinds[node["resource_type"]] += 1
    kinds["source"] = len(manifest["sources"])
    kinds["exposure"] = len(manifest["exposures"])
    kinds["metric"] = len(manifest["metrics"])
    kinds["semantic_model"] = len(manifest["semantic_models"])
    kinds["test"] += len(manifest.get("unit_tests", {}))
    return kinds


def test_every_node_of_the_example_project_is_cataloged():
    run = ingest_ok(
        EXAMPLE_TARGET
    )  # a real ingest; the tests below start from its image (example_catalog)
    expected = _manifest_counts(example_json())
    for kind, n in expected.items():
        if kind == "test":
            assert DataTest.objects.count() == n
        else:
            assert Asset.objects.filter(kind=kind).count() == n, kind
            assert run.counts[kind]["added"] == n
    assert run.project.name == "saas_analytics"
    assert run.project.dialect == "duckdb"
    assert run.schema_versions["manifest"] == "manifest/v12"


def test_columns_carry_warehouse_types_and_dbt_docs(example_catalog):
    catalog = example_json("catalog.json")
    mrr = Asset.objects.get(name="fct_mrr")
    expected = {
        c["name"].lower(): c["type"] for c in catalog["nodes"][mrr.unique_id]["columns"].values()
    }
    got = {c.name_key: c.data_type for c in mrr.columns.all()}
    assert got == expected
    documented = mrr.columns.filter(documented=True)
    assert documented.exists()
    assert all(c.description for c in documented if c.name_key in {"account_id"})
    assert mrr.warehouse_type.upper() in {"BASE TABLE", "TABLE"}


def test_owners_tiers_and_pii_come_from_every_meta_form(example_catalog):
    by_name = {a.name: a for a in Asset.objects.filter(kind="model")}
    assert by_name["fct_mrr"].dbt_owners == ["alice@saas.example"]
    assert by_name["dim_users"].dbt_owners == ["bob@saas.example", "carol@saas.example"]
    assert by_name["fct_revenue"].dbt_owners == ["Finance Analytics"]
    assert by_name["fct_subscriptions"].dbt_owners == [
        "finance-analytics@saas.example"
    ]  # group owner
    assert by_name["fct_support_tickets"].dbt_owners == []
    assert by_name["fct_mrr"].dbt_tier == 1
    assert by_name["dim_users"].dbt_tier == 2
    assert by_name["fct_revenue"].dbt_tier == 1  # "gold"
    assert by_name["fct_subscriptions"].dbt_tier == 1  # tag tier_1
    assert by_name["fct_support_tickets"].dbt_tier is None
    users = {c.name_key: c.dbt_pii for c in by_name["dim_users"].columns.all()}
    assert users["email"] == "contains_pii=true"
    assert users["phone"] == "pii=true"
    assert users["date_of_birth"] == "sensitivity=pii"
    assert users["full_name"] == "tag:pii"
    assert users["signup_ip"] == ""


def test_run_results_and_source_freshness_are_recorded_per_node(example_catalog):
    run_results = example_json("run_results.json")["results"]
    assert NodeRunResult.objects.count() == len(run_results)
    statuses = set(NodeRunResult.objects.values_list("status", flat=True))
    assert {"pass", "success", "warn"} <= statuses
    warn = NodeRunResult.objects.get(status="warn")
    assert warn.test is not None and warn.test.asset.name == "stg_support_tickets"
    sources = example_json("sources.json")["results"]
    assert SourceFreshnessResult.objects.count() == len(sources)
    stale = SourceFreshnessResult.objects.get(status="warn")
    assert stale.asset.name == "support_tickets"
    assert stale.max_loaded_at is not None and stale.criteria["warn_after"]["count"]


def test_tests_are_attached_to_their_model_and_column(example_catalog):
    unique = DataTest.objects.get(test_name="unique", asset__name="fct_mrr")
    assert unique.column_name
    assert DataTest.objects.filter(test_type="singular").exists()
    assert DataTest.objects.filter(
        test_type="unit", asset__name="int_account_subscriptions"
    ).exists()


def test_table_lineage_follows_depends_on(example_catalog):
    manifest = example_json()
    expected = 0
    ids = set(Asset.objects.values_list("unique_id", flat=True))
    for section in ("nodes", "exposures", "metrics", "semantic_models", "saved_queries"):
        for uid, node in manifest.get(section, {}).items():
            if uid in ids:
                expected += len(
                    {
                        d
                        for d in node.get("depends_on", {}).get("nodes", [])
                        if d in ids and d != uid
                    }
                )
    assert AssetEdge.objects.count() == expected
    churn = Asset.objects.get(name="customer_churn")
    assert AssetEdge.objects.filter(downstream=churn, upstream__name="fct_mrr").exists()


def test_reingesting_the_same_artifacts_changes_nothing_and_is_faster(example_catalog):
    first = example_catalog
    before = (
        Asset.objects.count(),
        Column.objects.count(),
        NodeRunResult.objects.count(),
        AssetEdge.objects.count(),
    )
    started = time.perf_counter()
    second = ingest_ok(EXAMPLE_TARGET)
    assert time.perf_counter() - started < first.duration_seconds * 3 + 1
    totals = second.totals()
    assert (totals["added"], totals["changed"], totals["removed"]) == (0, 0, 0)
    assert totals["unchanged"] == first.totals()["added"]
    after = (
        Asset.objects.count(),
        Column.objects.count(),
        NodeRunResult.objects.count(),
        AssetEdge.objects.count(),
    )
    assert after == before
    assert not AssetChange.objects.filter(ingest_run=second).exists()


def test_a_model_gone_from_the_manifest_is_tombstoned_and_comes_back(example_catalog, tmp_path):
    manifest = example_json()
    uid = next(u for u, n in manifest["nodes"].items() if n["name"] == "fct_support_tickets")
    smaller = copy.deepcopy(manifest)
    del smaller["nodes"][uid]
    removal = ingest_ok(write_json(tmp_path / "manifest.json", smaller))
    asset = Asset.objects.get(unique_id=uid)
    assert asset.removed_at is not None and asset.removed_by_run == removal
    assert removal.counts["model"]["removed"] == 1
    assert AssetChange.objects.filter(asset=asset, action="removed", ingest_run=removal).exists()
    # Columns, tests and edges are kept; the tombstone flags them.
    assert asset.columns.exists() and AssetEdge.objects.filter(downstream=asset).exists()
    back = ingest_ok(EXAMPLE_TARGET / "manifest.json")
    asset.refresh_from_db()
    assert asset.removed_at is None
    assert AssetChange.objects.filter(asset=asset, action="restored", ingest_run=back).exists()


def test_a_changed_description_is_one_change_naming_the_field(example_catalog, tmp_path):
    manifest = example_json()
    uid = next(u for u, n in manifest["nodes"].items() if n["name"] == "customer_churn")
    manifest["nodes"][uid]["description"] = "Monthly churn, redefined."
    run = ingest_ok(write_json(tmp_path / "manifest.json", manifest))
    assert run.counts["model"]["changed"] == 1
    assert run.counts["model"]["unchanged"] == Asset.objects.filter(kind="model").count() - 1
    change = AssetChange.objects.get(ingest_run=run)
    assert change.fields == ["description"]
    assert Asset.objects.get(unique_id=uid).description == "Monthly churn, redefined."


def test_a_manifest_alone_keeps_the_warehouse_types_from_an_earlier_catalog(example_catalog):
    typed = dict(Column.objects.filter(in_warehouse=True).values_list("id", "data_type"))
    run = ingest_ok(EXAMPLE_TARGET / "manifest.json")
    assert run.totals()["changed"] == 0
    assert dict(Column.objects.filter(in_warehouse=True).values_list("id", "data_type")) == typed


def test_gzip_artifacts_are_accepted(tmp_path):
    import gzip

    path = tmp_path / "manifest.json.gz"
    path.write_bytes(gzip.compress((EXAMPLE_TARGET / "manifest.json").read_bytes()))
    run = ingest_ok(path)
    assert run.counts["model"]["added"] > 0


def test_an_unknown_future_schema_version_is_read_with_a_warning(tmp_path):
    manifest = example_json()
    manifest["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v13.json"
    manifest["nodes"]["hologram.saas_analytics.x"] = {"resource_type": "hologram", "name": "x"}
    run = ingest_ok(write_json(tmp_path / "manifest.json", manifest))
    assert any("v13" in w and "leniently" in w for w in run.warnings)
    assert any("hologram" in w for w in run.warnings)
    assert run.counts["model"]["added"] == len(
        [n for n in manifest["nodes"].values() if n.get("resource_type") == "model"]
    )


def test_the_cli_prints_counts_and_fails_with_the_error(capsys, tmp_path):
    from django.core.management import CommandError, call_command

    call_command("ingest_dbt", str(EXAMPLE_TARGET), "--no-progress")
    assert "succeeded for project 'saas_analytics'" in capsys.readouterr().out
    bad = tmp_path / "manifest.json"
    bad.write_text(
        '{"metadata": {"dbt_schema_version": '
        '"https://schemas.getdbt.com/dbt/manifest/v12.json"}, "nodes": {'
    )
    with pytest.raises(CommandError, match=r"manifest.json: is not complete JSON"):
        call_command("ingest_dbt", str(bad), "--no-progress")
    assert IngestRun.objects.filter(status="failed").count() == 1


def test_run_page_shows_counts_and_files(example_catalog, viewer_client):
    run = example_catalog
    html = viewer_client.get(f"/ingest/{run.pk}/").content.decode()
    assert "succeeded" in html and "What changed" in html and "manifest/v12" in html
    listing = viewer_client.get("/ingest/").content.decode()
    assert f"#{run.pk}" in listing


def test_json_for_dumps_is_stable(example_catalog):
    # The run's recorded file list never exposes server paths through the API.
    run = example_catalog
    assert all("path" not in f for f in run.files)
    json.dumps(run.counts)


def test_reingesting_identical_files_decodes_no_entry_again(example_catalog, monkeypatch):
    import catalog.dbt.extract

    calls = []
    real = catalog.dbt.extract.decode
    monkeypatch.setattr(
        catalog.dbt.extract,
        "decode",
        lambda *a, **kw: calls.append(kw.get("where")) or real(*a, **kw),
    )
    ingest_ok(EXAMPLE_TARGET)
    decoded = [
        w for w in calls if w and w.startswith(("$.nodes", "$.sources", "$.metrics", "$.exposures"))
    ]
    # Only hooks/operations (never stored) are decoded again.
    assert all(not w.startswith(("$.sources", "$.metrics", "$.exposures")) for w in decoded)
    assert len(decoded) < 5


def test_a_reparse_that_only_moves_timestamps_is_unchanged(example_catalog, tmp_path):
    manifest = example_json()
    for node in manifest["nodes"].values():
        node["created_at"] = 1.0
    run = ingest_ok(
        write_json(tmp_path / "manifest.json", manifest), EXAMPLE_TARGET / "catalog.json"
    )
    totals = run.totals()
    assert (totals["added"], totals["changed"], totals["removed"]) == (0, 0, 0)
