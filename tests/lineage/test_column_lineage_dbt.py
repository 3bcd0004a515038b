"""Column lineage of dbt models, stored after ingest: what the analyst's lineage view reads."""

import pytest
from django.core.management import call_command

from catalog.models import Asset, Column, IngestRun
from lineage.column_lineage import column_lineage_build
from lineage.models import ColumnEdge, ModelParse
from tests.factories import EXAMPLE_TARGET, example_json, ingest_ok, write_json

pytestmark = pytest.mark.django_db


def _edge(down_model: str, down_col: str) -> set[tuple[str, str, str]]:
    col = Column.objects.get(asset__name=down_model, asset__kind="model", name_key=down_col)
    return {
        (e.upstream.asset.name, e.upstream.name_key, e.kind)
        for e in ColumnEdge.objects.filter(downstream=col).select_related("upstream__asset")
    }


def test_every_example_model_gets_column_lineage(example_catalog):
    run = example_catalog
    summary = column_lineage_build(project=run.project, run=run)
    models = Asset.objects.filter(
        project=run.project, kind__in=["model", "snapshot"], removed_at__isnull=True
    )
    expected = models.exclude(relation_key="").count()
    assert summary.models == expected
    assert summary.failed == 0 and summary.parsed == expected
    assert ModelParse.objects.filter(status="ok").count() == expected
    run.refresh_from_db()
    assert run.followups["column_lineage"]["parsed"] == expected


def test_edges_follow_the_sql_through_layers_with_their_kind(example_catalog):
    run = example_catalog
    column_lineage_build(project=run.project)
    assert ("stg_app_users", "email", "copy") in _edge("dim_users", "email")
    assert ("fct_subscriptions", "mrr_amount", "aggregate") in _edge("fct_mrr", "mrr_amount")
    assert ("fct_subscriptions", "account_id", "copy") in _edge("fct_mrr", "account_id")
    # A staging model reads a source: its columns point at the source's columns.
    assert any(model == "app_users" for model, _c, _k in _edge("stg_app_users", "email"))


def test_unchanged_models_are_not_parsed_again_and_a_changed_one_is(example_catalog, tmp_path):
    run = example_catalog
    column_lineage_build(project=run.project)
    again = column_lineage_build(project=run.project)
    assert again.parsed == 0 and again.unchanged == again.models

    manifest = example_json()
    uid = Asset.objects.get(name="fct_product_usage").unique_id
    manifest["nodes"][uid]["compiled_code"] = manifest["nodes"][uid]["compiled_code"].replace(
        "select", "select  ", 1
    )
    changed = ingest_ok(write_json(tmp_path / "manifest.json", manifest))
    third = column_lineage_build(project=changed.project, run=changed)
    assert third.parsed == 1


def test_unparsable_sql_is_listed_with_its_reason(tmp_path):
    manifest = example_json()
    uid = next(u for u, n in manifest["nodes"].items() if n["name"] == "fct_support_tickets")
    manifest["nodes"][uid]["compiled_code"] = "select from where ((("
    run = ingest_ok(
        write_json(tmp_path / "manifest.json", manifest), EXAMPLE_TARGET / "catalog.json"
    )
    summary = column_lineage_build(project=run.project, run=run)
    assert summary.failed == 1
    [failure] = summary.failures
    assert failure["model"] == uid and failure["error"]
    assert ModelParse.objects.get(asset__unique_id=uid).status == "failed"
    run.refresh_from_db()
    assert run.followups["column_lineage"]["failures"][0]["model"] == uid


def test_column_lineage_runs_after_an_ingest_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = ingest_ok(EXAMPLE_TARGET)
    run = IngestRun.objects.get(pk=run.pk)
    assert run.followups["column_lineage"]["failed"] == 0
    assert ColumnEdge.objects.exists()


def test_the_command_prints_the_share_and_failures(example_catalog, capsys):
    call_command("build_column_lineage", "--project", "saas_analytics", "--processes", "1")
    out = capsys.readouterr().out
    assert "models with compiled SQL have column lineage (100.0%)" in out
