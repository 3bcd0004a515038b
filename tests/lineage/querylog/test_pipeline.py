"""Read → fingerprint → parse once → resolve → aggregate, through the real service and reader."""

from __future__ import annotations

import pytest
from django.test import override_settings

from catalog.models import Asset, AssetKind, Column, SearchDocument
from lineage.models import (
    AssetUsage,
    AssetUsageDay,
    AssetUserDay,
    ColumnUsageDay,
    Fingerprint,
    FingerprintDay,
    FingerprintUser,
    QueryLogSource,
    SeenQuery,
)
from tests.lineage.querylog.helpers import at, ingest_log_ok, row, write_log

pytestmark = pytest.mark.django_db

REVENUE = "select invoice_id, plan_name from saas.marts.fct_revenue where account_id = {n}"
JOIN = (
    "select r.invoice_id, a.account_name from fct_revenue r join dim_accounts a "
    "on r.account_id = a.account_id where a.account_id in ({n}, {m})"
)


@pytest.fixture
def catalog(example_catalog, db):
    return {a.name: a for a in Asset.objects.filter(kind__in=["model", "seed", "source"])}


def usage_numbers() -> dict:
    """Every usage figure Lexicon stores, for before/after comparisons."""
    return {
        "asset_day": sorted(
            AssetUsageDay.objects.values_list(
                "asset_id", "day", "query_count", "read_count", "distinct_users"
            )
        ),
        "asset_user_day": sorted(
            AssetUserDay.objects.values_list("asset_id", "day", "user", "query_count")
        ),
        "column_day": sorted(ColumnUsageDay.objects.values_list("column_id", "day", "query_count")),
        "fp_day": sorted(
            FingerprintDay.objects.values_list(
                "fingerprint__key", "day", "query_count", "last_run_at"
            )
        ),
        "fp_user": sorted(
            FingerprintUser.objects.values_list("fingerprint__key", "user", "query_count")
        ),
        "usage": sorted(
            AssetUsage.objects.values_list("asset_id", "last_read_at", "last_write_at", "reads_30d")
        ),
    }


def test_usage_is_counted_per_asset_day_user_and_column(catalog, tmp_path):
    rows = [
        row(f"q{n}", REVENUE.format(n=n), user="ALICE" if n % 2 else "BOB", when=at(20, n % 10))
        for n in range(6)
    ]
    rows += [row(f"j{n}", JOIN.format(n=n, m=n + 1), user="CAROL", when=at(21)) for n in range(3)]
    run = ingest_log_ok(write_log(tmp_path / "qh.csv", rows))

    revenue, accounts = catalog["fct_revenue"], catalog["dim_accounts"]
    q = run.query_log
    assert (q.rows, q.records, q.fingerprints) == (9, 9, 2)
    day20 = AssetUsageDay.objects.get(asset=revenue, day=at(20).date())
    assert (day20.query_count, day20.distinct_users) == (6, 2)
    assert AssetUsageDay.objects.get(asset=revenue, day=at(21).date()).query_count == 3
    assert AssetUsageDay.objects.get(asset=accounts, day=at(21).date()).distinct_users == 1
    assert dict(
        AssetUserDay.objects.filter(asset=revenue, day=at(20).date()).values_list(
            "user", "query_count"
        )
    ) == {"ALICE": 3, "BOB": 3}
    invoice_id = Column.objects.get(asset=revenue, name_key="invoice_id")
    assert (
        sum(ColumnUsageDay.objects.filter(column=invoice_id).values_list("query_count", flat=True))
        == 9
    )
    usage = AssetUsage.objects.get(asset=revenue)
    assert usage.last_read_at == at(21) and usage.last_write_at is None
    # Raw literals are not stored by default; the fingerprint and a redacted example are.
    fp = Fingerprint.objects.get(text__contains="fct_revenue where")
    assert fp.raw_example == "" and "account_id = ?" in fp.example
    assert not Asset.objects.filter(kind=AssetKind.WAREHOUSE_RELATION).exists()


def test_popularity_reaches_search(catalog, tmp_path):
    rows = [row(f"q{n}", REVENUE.format(n=n), when=at(20)) for n in range(9)]
    from django.utils import timezone

    rows = [row(f"q{n}", REVENUE.format(n=n), when=timezone.now()) for n in range(9)]
    ingest_log_ok(write_log(tmp_path / "qh.csv", rows))
    doc = SearchDocument.objects.get(asset=catalog["fct_revenue"])
    assert doc.popularity == pytest.approx(1.0)  # log10(1 + 9)
    assert SearchDocument.objects.get(asset=catalog["dim_accounts"]).popularity == 0


@override_settings(LEXICON_STORE_RAW_QUERY_TEXT=True)
def test_raw_text_is_kept_only_when_the_setting_allows(catalog, tmp_path):
    ingest_log_ok(write_log(tmp_path / "qh.csv", [row("q1", REVENUE.format(n=77))]))
    assert "77" in Fingerprint.objects.get().raw_example


def test_unknown_tables_become_warehouse_only_assets(catalog, tmp_path):
    rows = [
        row(
            "q1",
            "select id, total from finance.ledger.journal_entries where id = 1",
            database="FINANCE",
        ),
        row("q2", "select id from finance.ledger.journal_entries where id = 2", database="FINANCE"),
    ]
    run = ingest_log_ok(write_log(tmp_path / "qh.csv", rows))
    asset = Asset.objects.get(kind=AssetKind.WAREHOUSE_RELATION)
    assert asset.relation_key == "finance.ledger.journal_entries"
    assert asset.project.name == "snow (warehouse)"
    assert set(asset.columns.values_list("name_key", flat=True)) == {"id", "total"}
    assert run.query_log.assets_created == 1
    assert SearchDocument.objects.filter(asset=asset).exists()
    # Seen again: the same asset, not a second one.
    ingest_log_ok(
        write_log(
            tmp_path / "qh2.csv", [row("q3", "select id from finance.ledger.journal_entries")]
        )
    )
    assert Asset.objects.filter(kind=AssetKind.WAREHOUSE_RELATION).count() == 1


def test_each_shape_is_parsed_once_and_the_parse_is_reused_by_later_runs(
    catalog, tmp_path, monkeypatch
):
    import lineage.querylog.parsing as parsing

    calls = []
    real = parsing.analyze
    monkeypatch.setattr(parsing, "analyze", lambda sql, **kw: calls.append(sql) or real(sql, **kw))
    ingest_log_ok(
        write_log(tmp_path / "a.csv", [row(f"q{n}", REVENUE.format(n=n)) for n in range(50)])
    )
    assert len(calls) == 1
    ingest_log_ok(
        write_log(tmp_path / "b.csv", [row(f"r{n}", REVENUE.format(n=n)) for n in range(50)])
    )
    assert len(calls) == 1
    assert FingerprintDay.objects.get().query_count == 100


def test_reingesting_the_same_file_changes_no_usage_number(catalog, tmp_path):
    rows = [
        row(f"q{n}", REVENUE.format(n=n), user=f"U{n % 3}", when=at(10 + n % 5)) for n in range(30)
    ]
    rows += [row(f"j{n}", JOIN.format(n=n, m=2), when=at(12)) for n in range(5)]
    path = write_log(tmp_path / "qh.csv", rows)
    ingest_log_ok(path)
    before = usage_numbers()
    again = ingest_log_ok(path)
    assert usage_numbers() == before
    assert (again.query_log.records, again.query_log.duplicates) == (0, 35)
    assert before["asset_day"]  # the comparison compared something


def test_a_query_id_repeated_later_in_the_same_file_counts_once(catalog, tmp_path, monkeypatch):
    """Exports concatenated or overlapping inside one file: the repeat may fall in another
    chunk than the first sighting, before and after the source's watermark."""
    import lineage.querylog.pipeline as pipeline

    monkeypatch.setattr(pipeline, "CHUNK", 3)
    ingest_log_ok(write_log(tmp_path / "early.csv", [row("q0", REVENUE.format(n=0), when=at(5))]))
    rows = [
        row(f"q{n}", REVENUE.format(n=n), when=at(4 + n)) for n in range(6)
    ]  # q0 and q1 before the watermark
    run = ingest_log_ok(write_log(tmp_path / "twice.csv", rows + rows[::-1]))
    revenue = catalog["fct_revenue"]
    assert (
        sum(AssetUsageDay.objects.filter(asset=revenue).values_list("query_count", flat=True)) == 6
    )
    assert (run.query_log.records, run.query_log.duplicates) == (5, 7)


def test_overlapping_windows_count_each_query_once(catalog, tmp_path):
    rows = [row(f"q{n}", REVENUE.format(n=n), when=at(1 + n)) for n in range(10)]
    ingest_log_ok(write_log(tmp_path / "days1-6.csv", rows[:6]))
    ingest_log_ok(write_log(tmp_path / "days4-10.csv", rows[3:]))
    revenue = catalog["fct_revenue"]
    assert (
        sum(AssetUsageDay.objects.filter(asset=revenue).values_list("query_count", flat=True)) == 10
    )
    assert QueryLogSource.objects.get(name="snow").watermark == at(10)
    assert SeenQuery.objects.count() == 10


def test_statements_older_than_the_dedup_window_are_skipped_and_said(catalog, tmp_path, settings):
    settings.LEXICON_QUERYLOG_DEDUP_DAYS = 3
    ingest_log_ok(write_log(tmp_path / "late.csv", [row("late", REVENUE.format(n=1), when=at(20))]))
    run = ingest_log_ok(
        write_log(
            tmp_path / "old.csv",
            [
                row("old", REVENUE.format(n=1), when=at(2)),
                row("new", REVENUE.format(n=1), when=at(19)),
            ],
        )
    )
    assert (run.query_log.too_old, run.query_log.records) == (1, 1)
    assert any("dedup window" in w for w in run.warnings)


def test_dml_adds_query_log_lineage_between_tables_and_columns(catalog, tmp_path):
    from lineage.models import AssetEdge, ColumnEdge, EdgeOrigin

    rows = [
        row(
            "i1",
            "insert into reporting.public.revenue_snapshot (invoice_id, plan_name) "
            "select invoice_id, plan_name from saas.marts.fct_revenue "
            "where invoice_date > '2024-01-01'",
            query_type="INSERT",
        ),
        row(
            "c1",
            "create table reporting.public.churn_copy as select churn_id, account_id from "
            "saas.marts.customer_churn",
            query_type="CREATE_TABLE_AS_SELECT",
        ),
        row(
            "m1",
            "merge into reporting.public.revenue_snapshot t using saas.marts.fct_revenue s "
            "on t.invoice_id = s.invoice_id when matched then update set t.plan_name = s.plan_name",
            query_type="MERGE",
        ),
        row(
            "u1",
            "update reporting.public.churn_copy c set account_id = a.account_id "
            "from saas.marts.dim_accounts a where c.account_id = a.account_id",
            query_type="UPDATE",
        ),
    ]
    run = ingest_log_ok(write_log(tmp_path / "dml.csv", rows))
    snapshot = Asset.objects.get(relation_key="reporting.public.revenue_snapshot")
    churn_copy = Asset.objects.get(relation_key="reporting.public.churn_copy")
    edges = set(
        AssetEdge.objects.filter(origin=EdgeOrigin.QUERY_LOG).values_list(
            "upstream__name", "downstream__name"
        )
    )
    assert edges == {
        ("fct_revenue", "revenue_snapshot"),
        ("customer_churn", "churn_copy"),
        ("dim_accounts", "churn_copy"),
    }
    assert run.query_log.edges_added == 3
    column_edges = set(
        ColumnEdge.objects.filter(origin=EdgeOrigin.QUERY_LOG).values_list(
            "upstream__asset__name", "upstream__name", "downstream__name"
        )
    )
    assert ("fct_revenue", "plan_name", "plan_name") in column_edges
    assert ("customer_churn", "churn_id", "churn_id") in column_edges
    assert AssetUsage.objects.get(asset=snapshot).last_write_at is not None
    assert AssetUsage.objects.get(asset=churn_copy).last_write_at is not None
    # Lineage from logs joins the lineage API's graph of the dbt model.
    from lineage.selectors import impact

    assert "revenue_snapshot" in {r["name"] for r in impact(catalog["fct_revenue"])}


def test_names_resolve_by_relation_key_and_by_schema_and_table_from_another_database(
    catalog, tmp_path
):
    rows = [
        row("a", "select plan_name from marts.fct_revenue", database="SAAS"),
        row("b", "select plan_name from fct_revenue", database="SAAS", schema="MARTS"),
        row(
            "c", "select plan_name from dev_copy.marts.fct_revenue"
        ),  # unknown database: same table
        row("d", "select plan_name from saas.other.fct_revenue"),
    ]  # known database, other schema: not it
    ingest_log_ok(write_log(tmp_path / "qh.csv", rows))
    revenue = catalog["fct_revenue"]
    assert (
        sum(AssetUsageDay.objects.filter(asset=revenue).values_list("query_count", flat=True)) == 3
    )
    other = Asset.objects.get(kind=AssetKind.WAREHOUSE_RELATION)
    assert other.relation_key == "saas.other.fct_revenue"


def test_columns_in_where_join_and_group_by_count_as_used(catalog, tmp_path):
    rows = [
        row(
            "f1",
            "select r.plan_name, count(*) as n from fct_revenue r join dim_accounts a "
            "on r.account_id = a.account_id where a.industry = 'saas' "
            "group by r.plan_name order by n",
        )
    ]
    ingest_log_ok(write_log(tmp_path / "qh.csv", rows))
    used = set(ColumnUsageDay.objects.values_list("column__asset__name", "column__name"))
    assert {
        ("fct_revenue", "plan_name"),
        ("fct_revenue", "account_id"),
        ("dim_accounts", "account_id"),
        ("dim_accounts", "industry"),
    } <= used
    assert not any(name == "n" for _asset, name in used)  # a select-list alias is not a column
