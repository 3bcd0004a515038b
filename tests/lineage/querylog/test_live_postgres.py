"""Live PostgreSQL sources: deltas of pg_stat_statements between pulls, and a real pull."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from catalog.models import Asset, IngestRun
from lineage.models import AssetUsageDay, QueryLogSource
from lineage.querylog.live import deltas
from lineage.services import querylog_pull, querylog_source_upsert
from tests.factories import EXAMPLE_TARGET, ingest_ok
from tests.services import _missing, require_postgres

T1 = datetime(2026, 11, 20, 9, tzinfo=UTC)
T2 = datetime(2026, 11, 20, 10, tzinfo=UTC)


def stat(
    queryid: str, calls: int, query: str = "select * from saas.marts.fct_revenue where id = $1"
) -> tuple:
    return ("10", "5", queryid, query, calls, calls * 2.0, calls, "alice", "saas")


def test_the_first_pull_counts_the_totals_and_later_pulls_the_difference():
    records, state = deltas([stat("1", 10), stat("2", 3)], {}, T1)
    assert sorted(r.calls for r in records) == [3, 10]
    records, state = deltas([stat("1", 14), stat("2", 3), stat("3", 1)], state, T2)
    assert sorted((r.query_id.split("@")[0], r.calls) for r in records) == [
        ("10:5:1", 4),
        ("10:5:3", 1),
    ]
    assert all(r.started_at == T2 and r.user == "alice" and r.database == "saas" for r in records)


def test_a_reset_of_the_statistics_counts_the_new_totals():
    _records, state = deltas([stat("1", 50)], {}, T1)
    records, _state = deltas([stat("1", 2)], state, T2)
    assert [r.calls for r in records] == [2]


def test_lexicons_own_pull_and_session_noise_are_not_usage():
    records, _ = deltas(
        [
            stat("1", 1, "SELECT s.userid::text, s.dbid::text FROM pg_stat_statements s"),
            stat("2", 1, "SET search_path = public"),
            stat("3", 1, "BEGIN"),
        ],
        {},
        T1,
    )
    assert records == []


@pytest.mark.django_db
def test_pulled_deltas_are_counted_once_each(example_catalog, settings):
    source = querylog_source_upsert(
        name="pg",
        dialect="postgres",
        format="pg_stat_statements",
        url="postgres://example/saas",
        default_schema="marts",
    )
    rows = [[stat("1", 5)], [stat("1", 8)], [stat("1", 8)]]

    import lineage.querylog.live as live

    original = live.pg_stat_statements_items
    for batch in rows:
        live.pg_stat_statements_items = lambda s, batch=batch: original(s, fetch=lambda url: batch)
        try:
            run = querylog_pull(source_id=source.pk, trigger=IngestRun.Trigger.CLI)
        finally:
            live.pg_stat_statements_items = original
        assert run.status == IngestRun.Status.SUCCEEDED, run.error
    revenue = Asset.objects.get(name="fct_revenue")
    assert (
        sum(AssetUsageDay.objects.filter(asset=revenue).values_list("query_count", flat=True)) == 8
    )
    assert QueryLogSource.objects.get(pk=source.pk).pull_state["counters"]["10:5:1"][0] == 8


@pytest.mark.django_db
def test_a_source_that_cannot_be_reached_fails_its_run_with_the_reason():
    source = querylog_source_upsert(
        name="pg",
        dialect="postgres",
        format="pg_stat_statements",
        url="postgres://nobody@127.0.0.1:1/none",
    )
    run = querylog_pull(source_id=source.pk, trigger=IngestRun.Trigger.CLI)
    assert run.status == IngestRun.Status.FAILED
    assert "Cannot read pg_stat_statements" in run.error
    assert QueryLogSource.objects.get(pk=source.pk).pull_state == {}


def _admin_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/postgres"


def _pg_stat_statements_ready(url: str) -> str | None:
    """None when pg_stat_statements can be read at ``url``, else why not."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.execute("SELECT count(*) FROM pg_stat_statements")
    except psycopg.Error as exc:
        preload = ""
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                preload = conn.execute("SHOW shared_preload_libraries").fetchone()[0]
        except psycopg.Error:
            pass
        return (
            "pg_stat_statements cannot be read on this server "
            f"({str(exc).strip().splitlines()[0]}); shared_preload_libraries is {preload!r} and "
            "changing it needs a server restart"
        )
    return None


@pytest.mark.django_db(transaction=True)
def test_live_pull_from_a_real_postgres_counts_usage_on_the_catalog_assets():
    """Tables named like catalog assets in a scratch database; queries run against them;
    a pull; usage on those assets."""
    import psycopg

    require_postgres()
    admin = _admin_url()
    scratch = f"lexicon_live_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{scratch}"')
    url = admin.rsplit("/", 1)[0] + f"/{scratch}"
    try:
        reason = _pg_stat_statements_ready(url)
        if reason:
            _missing(reason)  # .ci/run preloads the extension: in CI this fails instead of skipping
        ingest_ok(EXAMPLE_TARGET)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA marts")
            conn.execute(
                "CREATE TABLE marts.fct_revenue (invoice_id int, plan_name text, account_id int)"
            )
            conn.execute("SELECT pg_stat_statements_reset()")
        source = querylog_source_upsert(
            name="live",
            dialect="postgres",
            format="pg_stat_statements",
            url=url,
            default_database="saas",
            default_schema="marts",
        )
        call_command("pull_querylog", "live")  # the baseline: whatever ran before
        with psycopg.connect(url, autocommit=True) as conn:
            for n in range(7):
                conn.execute(
                    "SELECT invoice_id, plan_name FROM marts.fct_revenue WHERE account_id = %s", [n]
                )
        call_command("pull_querylog", "live")
        revenue = Asset.objects.get(name="fct_revenue", project__name="saas_analytics")
        assert (
            sum(AssetUsageDay.objects.filter(asset=revenue).values_list("query_count", flat=True))
            >= 7
        )
        assert QueryLogSource.objects.get(pk=source.pk).last_pulled_at is not None
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
