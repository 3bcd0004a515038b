"""The extension registry: what the apps registered at start-up, in order, and no silent
override."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lexicon_core import extensions
from lexicon_core.extensions import Panel, ingest_hooks, kpi_providers, panels, register_panel


def test_every_app_plugged_its_ingest_hooks_in_in_order():
    assert [hook.name for hook in ingest_hooks()] == [
        "lineage.dbt_table_edges",
        "lineage.column_lineage",
        "governance.pii_suggestions",
        "metrics.after_ingest",
    ]


def test_the_asset_page_tabs_come_from_catalog_and_the_apps_above():
    tabs = panels("asset", "tab")
    assert [(p.key, p.label) for p in tabs] == [
        ("overview", "Overview"),
        ("columns", "Columns"),
        ("quality", "Quality"),
        ("lineage", "Lineage"),
        ("usage", "Usage"),
        ("code", "Code"),
        ("history", "History"),
    ]
    owned = {p.key for p in tabs if p.url_name is None}
    assert owned == {"overview", "columns", "quality", "code"}


def test_scorecard_kpis_of_governance_and_the_dictionary(db):
    keys = [p.key for p in kpi_providers()]
    assert keys[-1] == "executive_metrics_approved" and "freshness" in keys
    assert len(keys) == len(set(keys)) == 7


def test_a_second_registration_under_a_taken_name_is_refused(monkeypatch):
    monkeypatch.setattr(extensions, "_PANELS", dict(extensions._PANELS))
    with pytest.raises(ValueError, match="already registered"):
        register_panel(Panel("asset", "tab", "lineage", 1, label="Mine", url_name="catalog:asset"))
    same = Panel("asset", "tab", "lineage", 40, label="Lineage", url_name="lineage:asset_panel")
    register_panel(same)  # the same registration again is harmless
    with pytest.raises(ValueError, match="already registered"):
        extensions.register_ingest_hook("lineage.column_lineage", print, order=1)


def test_a_panel_limited_to_some_objects_shows_only_there():
    class Run:
        pk = 7

        def __init__(self, kind):
            self.kind = kind

    assert extensions.panel_urls("ingest_run", "detail", Run("dbt")) == []
    assert extensions.panel_urls("ingest_run", "detail", Run("query_log")) == [
        reverse("lineage:querylog_run_panel", args=[7])
    ]


def test_the_asset_page_loads_every_contributed_piece(example_catalog, viewer, client):
    from catalog.models import Asset

    asset = Asset.objects.filter(kind="model").first()
    client.force_login(viewer)
    html = client.get(reverse("catalog:asset", args=[asset.pk])).content.decode()
    for name in (
        "metrics_dictionary:asset_deprecation_banner",
        "governance:asset_owners",
        "governance:asset_policy_panel",
        "governance:asset_description",
        "lineage:asset_panel",
        "governance:asset_history_panel",
    ):
        assert f'hx-get="{reverse(name, args=[asset.pk])}"' in html, name
