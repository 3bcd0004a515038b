"""Search contract: the same behaviour from the PostgreSQL and the SQLite backend.

The suite runs against the backend of the test database: SQLite on a bare machine,
PostgreSQL in CI (and .ci/run runs this file once more on SQLite)."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.models import Asset, Column, Project
from catalog.search import search_asset_ids, search_documents_sync, search_signals_set
from tests.factories import ingest_ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_asset():
    project = Project.objects.create(name="shop")

    def make(
        name: str,
        description: str = "",
        columns: tuple[str, ...] = (),
        kind: str = "model",
        popularity: float = 0.0,
        **fields,
    ) -> Asset:
        asset = Asset.objects.create(
            project=project,
            unique_id=f"{kind}.shop.{name}",
            kind=kind,
            name=name,
            description=description,
            **fields,
        )
        for i, col in enumerate(columns):
            Column.objects.create(asset=asset, name=col, name_key=col.lower(), position=i)
        search_documents_sync([asset.pk])
        if popularity:
            search_signals_set(asset.pk, popularity=popularity)
        return asset

    return make


def names(text: str, **kw) -> list[str]:
    ids = search_asset_ids(text, **kw).asset_ids
    by_id = Asset.objects.in_bulk(ids)
    return [by_id[i].name for i in ids]


def test_backend_matches_the_database():
    assert connection.vendor in {"postgresql", "sqlite"}


def test_an_exact_name_beats_a_popular_near_match(make_asset):
    make_asset("customers_enriched", "Customers with every attribute", popularity=10_000)
    make_asset("customers", "One row per customer")
    assert names("customers")[0] == "customers"


def test_a_prefix_name_match_beats_popularity(make_asset):
    make_asset("orders_daily", "Aggregated customer orders", popularity=5_000)
    make_asset("customer_orders", "Orders joined to customers")
    assert names("customer")[0] == "customer_orders"


def test_a_typo_still_finds_the_customer_tables(make_asset):
    make_asset("dim_customer", "Customer dimension")
    make_asset("fct_invoices", "Invoices")
    found = names("custmer")
    assert found and found[0] == "dim_customer"
    assert "fct_invoices" not in found


def test_a_column_name_finds_its_model(make_asset):
    make_asset("dim_users", "Users", columns=("user_id", "email_address", "signup_ip"))
    make_asset("fct_orders", "Orders", columns=("order_id", "amount"))
    assert names("signup_ip") == ["dim_users"]
    assert names("email") == ["dim_users"]


def test_deprecated_and_removed_items_rank_last(make_asset):
    from django.utils import timezone

    old = make_asset("revenue_legacy", "Revenue, old definition", popularity=100)
    search_signals_set(old.pk, deprecated=True)
    gone = make_asset("revenue_v0", "Revenue v0", removed_at=timezone.now())
    make_asset("revenue_daily", "Daily revenue")
    ranked = names("revenue")
    assert ranked[0] == "revenue_daily"
    assert set(ranked[-2:]) == {old.name, gone.name}


def test_description_words_match_and_prefixes_work(make_asset):
    make_asset("fct_mrr", "Monthly recurring revenue per account")
    assert names("recurring") == ["fct_mrr"]
    assert names("recur") == ["fct_mrr"]


def test_candidates_restrict_the_results(make_asset):
    keep = make_asset("churn_monthly", "Churn")
    make_asset("churn_weekly", "Churn")
    assert names("churn", candidates=Asset.objects.filter(pk=keep.pk)) == ["churn_monthly"]


def test_several_words_must_all_match(make_asset):
    make_asset("support_tickets", "Tickets opened by customers")
    make_asset("customer_accounts", "Accounts")
    assert names("customer tickets") == ["support_tickets"]


def test_nothing_for_an_empty_or_symbol_only_query(make_asset):
    make_asset("anything")
    assert names("") == [] and names("%%% '") == []


def test_pagination_and_total(make_asset):
    for i in range(7):
        make_asset(f"sales_{i}", "Sales")
    first = search_asset_ids("sales", limit=5)
    second = search_asset_ids("sales", limit=5, offset=5)
    assert first.total == second.total == 7
    assert len(first.asset_ids) == 5 and len(second.asset_ids) == 2
    assert not set(first.asset_ids) & set(second.asset_ids)


def test_ingest_keeps_the_index_current(example_catalog, tmp_path):
    from tests.factories import example_json, write_json

    assert "customer_churn" in names("churn")
    manifest = example_json()
    uid = next(u for u, n in manifest["nodes"].items() if n["name"] == "customer_churn")
    manifest["nodes"][uid]["description"] = "Attrition of accounts by month (zeppelin)"
    ingest_ok(write_json(tmp_path / "manifest.json", manifest))
    assert names("zeppelin") == ["customer_churn"]
    del manifest["nodes"][uid]
    ingest_ok(write_json(tmp_path / "manifest.json", manifest))
    assert names("customer_churn")[-1] == "customer_churn"  # removed: still found, ranked last


def test_reindex_rebuilds_facets_and_vocabulary(make_asset):
    from django.core.management import call_command

    from catalog.models import SearchDocument, SearchWord

    asset = make_asset("subscriptions", "Plans", columns=("customer_email",), tags=["finance"])
    SearchWord.objects.all().delete()
    SearchDocument.objects.filter(asset=asset).update(tags=[])
    call_command("search_reindex", stdout=__import__("io").StringIO())
    assert SearchDocument.objects.get(asset=asset).tags == ["finance"]
    assert names("subscriptoins") == ["subscriptions"]  # typo corrected from the rebuilt vocabulary


def _tiered_catalog(make_asset):
    """Matches of "order" in every rank tier, live, deprecated and removed."""
    from django.utils import timezone

    make_asset("order", "Exact name", tags=["finance"], dbt_owners=["ann@example.com"])
    make_asset("orders_daily", "Prefix of the name", popularity=3)
    make_asset("fct_order_items", "Word in the name", popularity=9)
    make_asset("dim_shipments", "Shipments per order", popularity=50)  # word in the description
    make_asset(
        "dim_payments", "Payments", columns=("order_id",), popularity=80
    )  # word in a column only
    make_asset("fct_order_legacy", "Old", popularity=99, meta={"deprecated": True})
    make_asset("order_archive", "Removed", removed_at=timezone.now())
    for i in range(6):
        make_asset(f"stg_order_{i}", "Staging", popularity=i)


def test_facets_and_total_count_the_matches(make_asset):
    _tiered_catalog(make_asset)
    page = search_asset_ids("order", include_removed=False)
    assert page.total == 12 and not page.capped
    assert page.facets["deprecated"][True] == 1 and sum(page.facets["kind"].values()) == 12
    assert page.facets["owner"] == {"ann@example.com": 1} and page.facets["tag"] == {"finance": 1}


def test_a_broad_search_ranks_as_a_narrow_one(make_asset, monkeypatch):
    """Beyond ``RANK_CAP`` matches the database ranks tier by tier (walking the static
    order for large tiers): the order must be the one in-memory ranking gives."""
    import catalog.search as search

    _tiered_catalog(make_asset)
    expected = names("order", limit=20)
    assert expected[:5] == [
        "order",
        "orders_daily",
        "fct_order_items",
        "stg_order_5",
        "stg_order_4",
    ]
    assert (
        expected.index("dim_shipments")
        < expected.index("dim_payments")
        < expected.index("fct_order_legacy")
    )
    assert expected[-1] == "order_archive"
    monkeypatch.setattr(search, "RANK_CAP", 3)
    monkeypatch.setattr(search, "SMALL_TIER", 2)
    for walk_when_sampled in (
        10**6,
        1,
    ):  # tiers counted first, or walked because the sample is full of them
        monkeypatch.setattr(search, "WALK_SAMPLED", walk_when_sampled)
        for offset in (0, 4, 8):
            page = search_asset_ids("order", limit=4, offset=offset)
            assert page.capped and page.total == offset + 4  # ranked as far as the page asked
            by_id = Asset.objects.in_bulk(page.asset_ids)
            assert [by_id[i].name for i in page.asset_ids] == expected[offset : offset + 4]
