"""The asset page: header badges, tabs as fragments, sanitised markdown, tombstones."""

import pytest
from django.utils import timezone

from catalog.models import Asset, Column, Project

pytestmark = pytest.mark.django_db


def test_header_shows_tier_pii_tests_and_owners(example_catalog, viewer_client):
    users = Asset.objects.get(name="dim_users", kind="model")
    html = viewer_client.get(f"/assets/{users.pk}/").content.decode()
    assert "Tier 2" in html and "PII · 4 columns" in html
    assert "tests: 3 pass / 3" in html
    assert "bob@saas.example" in html and "(from dbt)" in html


@pytest.mark.parametrize("tab", ["overview", "columns", "quality", "code"])
def test_each_catalog_tab_is_a_fragment_for_htmx_and_a_page_otherwise(
    example_catalog, viewer_client, tab
):
    mrr = Asset.objects.get(name="fct_mrr", kind="model")
    page = viewer_client.get(f"/assets/{mrr.pk}/", {"tab": tab}).content.decode()
    fragment = viewer_client.get(
        f"/assets/{mrr.pk}/", {"tab": tab}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" in page and 'aria-selected="true"' in page
    assert "<html" not in fragment and fragment.strip()


def test_other_apps_serve_lineage_usage_and_history_tabs(example_catalog, viewer_client):
    churn = Asset.objects.get(name="customer_churn", kind="model")
    lineage = viewer_client.get(f"/lineage/assets/{churn.pk}/panel/").content.decode()
    assert "fct_mrr" in lineage and "Executive KPI" in lineage
    assert (
        "No query-log usage"
        in viewer_client.get(f"/lineage/assets/{churn.pk}/usage/").content.decode()
    )
    history = viewer_client.get(f"/governance/assets/{churn.pk}/history/").content.decode()
    assert "ingest run #" in history and "Added" in history


def test_columns_tab_filters_by_name(example_catalog, viewer_client):
    users = Asset.objects.get(name="dim_users", kind="model")
    html = viewer_client.get(
        f"/assets/{users.pk}/", {"tab": "columns", "q": "phone"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "phone" in html and "date_of_birth" not in html


def test_hostile_markdown_is_sanitised(viewer_client):
    project = Project.objects.create(name="p")
    asset = Asset.objects.create(
        project=project,
        unique_id="model.p.x",
        kind="model",
        name="x",
        description=(
            "**bold** <script>alert(1)</script> [click](javascript:alert(2)) "
            "<img src=x onerror=alert(3)>"
        ),
    )
    html = viewer_client.get(f"/assets/{asset.pk}/").content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script>alert(1)" not in html and 'href="javascript' not in html and "<img" not in html
    assert "&lt;script&gt;" in html  # shown as text, not run


def test_a_removed_asset_resolves_to_its_tombstone(viewer_client):
    project = Project.objects.create(name="p")
    asset = Asset.objects.create(
        project=project,
        unique_id="model.p.old",
        kind="model",
        name="old",
        removed_at=timezone.now(),
    )
    html = viewer_client.get(f"/assets/{asset.pk}/").content.decode()
    assert "Removed." in html and "disappeared from the manifest" in html


@pytest.mark.parametrize("n_columns", [10, 500])
def test_asset_page_and_search_page_query_counts_are_flat(
    viewer_client, n_columns, django_assert_max_num_queries
):
    from catalog.search import search_documents_sync

    project = Project.objects.create(name="wide")
    asset = Asset.objects.create(
        project=project, unique_id="model.wide.big", kind="model", name="big_table"
    )
    Column.objects.bulk_create(
        [
            Column(
                asset=asset,
                name=f"c{j}",
                name_key=f"c{j}",
                position=j,
                dbt_pii="pii=true" if j % 7 == 0 else "",
            )
            for j in range(n_columns)
        ]
    )
    for i in range(40):
        Asset.objects.create(
            project=project, unique_id=f"model.wide.t{i}", kind="model", name=f"big_t{i}"
        )
    search_documents_sync(Asset.objects.values_list("pk", flat=True))
    viewer_client.get("/")  # session warm-up
    with django_assert_max_num_queries(12):
        assert viewer_client.get(f"/assets/{asset.pk}/", {"tab": "columns"}).status_code == 200
    with django_assert_max_num_queries(12):
        assert viewer_client.get(f"/assets/{asset.pk}/").status_code == 200
    with django_assert_max_num_queries(20):
        assert viewer_client.get("/search/", {"q": "big"}).status_code == 200


def test_owners_fragment_prefers_a_persons_choice(
    example_catalog, viewer_client, reviewer, analyst
):
    from governance.services import asset_owners_set

    mrr = Asset.objects.get(name="fct_mrr", kind="model")
    before = viewer_client.get(f"/governance/assets/{mrr.pk}/owners/").content.decode()
    assert "alice@saas.example" in before and "technical · dbt" in before
    asset_owners_set(asset=mrr, users=[analyst], owner_type="business", actor=reviewer)
    after = viewer_client.get(f"/governance/assets/{mrr.pk}/owners/").content.decode()
    assert analyst.username in after and "business · person" in after and "alice@" not in after


def test_freshness_is_judged_against_the_tier_sla(example_catalog, viewer_client, settings):
    from datetime import timedelta

    from catalog.models import NodeRunResult

    mrr = Asset.objects.get(name="fct_mrr", kind="model")  # tier 1: 24 h by default
    run = NodeRunResult.objects.filter(asset=mrr).latest("generated_at")
    NodeRunResult.objects.filter(pk=run.pk).update(
        completed_at=timezone.now() - timedelta(hours=30)
    )
    assert "stale:" in viewer_client.get(f"/assets/{mrr.pk}/").content.decode()
    settings.LEXICON_TIER_FRESHNESS_SLA_HOURS = {1: 48}
    html = viewer_client.get(f"/assets/{mrr.pk}/").content.decode()
    assert "fresh:" in html and "SLA 48 h" in html
