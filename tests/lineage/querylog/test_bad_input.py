"""Malformed rows, unparsable SQL, files in the wrong format and runs that fail: reported
clearly, and nothing already aggregated is lost or counted twice."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import Asset, IngestRun
from lineage.models import AssetUsageDay, QueryLogSource, SeenQuery
from tests.lineage.querylog.helpers import ingest_log, ingest_log_ok, row, write_log

pytestmark = pytest.mark.django_db

REVENUE = "select invoice_id from saas.marts.fct_revenue where account_id = {n}"


@pytest.fixture
def revenue(example_catalog, db):
    return Asset.objects.get(name="fct_revenue")


def revenue_queries(asset) -> int:
    return sum(AssetUsageDay.objects.filter(asset=asset).values_list("query_count", flat=True))


def test_malformed_rows_are_counted_and_listed_with_their_line_numbers(revenue, tmp_path):
    rows = [row(f"q{n}", REVENUE.format(n=n)) for n in range(3)]
    rows.insert(
        1,
        [
            "q-bad",
            "select 1",
            "SAAS",
            "MARTS",
            "SELECT",
            "ALICE",
            "R",
            "SUCCESS",
            "yesterday-ish",
            "1",
            "1",
        ],
    )
    rows.append(
        [
            "q-no-text",
            "",
            "SAAS",
            "MARTS",
            "SELECT",
            "ALICE",
            "R",
            "SUCCESS",
            "2026-11-20 09:00:00",
            "1",
            "1",
        ]
    )
    run = ingest_log_ok(write_log(tmp_path / "qh.csv", rows))
    q = run.query_log
    assert (q.records, q.malformed) == (3, 2)
    assert [e["line"] for e in q.malformed_rows] == [3, 6]  # header is line 1
    assert (
        "yesterday-ish" in q.malformed_rows[0]["message"]
        or "time" in q.malformed_rows[0]["message"].lower()
    )
    assert revenue_queries(revenue) == 3
    assert any("malformed" in w for w in run.warnings)


def test_only_the_first_50_malformed_rows_are_listed_but_all_are_counted(revenue, tmp_path):
    bad = [
        [
            f"b{n}",
            "select 1",
            "SAAS",
            "MARTS",
            "SELECT",
            "A",
            "R",
            "SUCCESS",
            "not a time",
            "1",
            "1",
        ]
        for n in range(70)
    ]
    q = ingest_log_ok(write_log(tmp_path / "qh.csv", bad)).query_log
    assert q.malformed == 70 and len(q.malformed_rows) == 50


def test_unparsable_sql_is_counted_per_reason_with_a_redacted_sample(revenue, tmp_path):
    rows = [
        row(f"u{n}", f"select invoice_id from fct_revenue where (((account_id = {n}")
        for n in range(4)
    ]
    rows += [row(f"v{n}", f"SELEC broken {n} stuff 'secret{n}'") for n in range(2)]
    rows += [row("ok", REVENUE.format(n=1))]
    q = ingest_log_ok(write_log(tmp_path / "qh.csv", rows)).query_log
    assert q.unparsable == 6
    counts = sorted(e["count"] for e in q.unparsable_reasons.values())
    assert counts == [2, 4]
    samples = " ".join(e["sample"] for e in q.unparsable_reasons.values())
    assert "secret" not in samples and "?" in samples
    assert revenue_queries(revenue) == 1


def test_a_file_in_the_wrong_format_is_refused_by_the_command_with_what_it_looks_like(
    revenue, tmp_path
):
    path = tmp_path / "jobs.csv"
    path.write_text(
        "job_id,creation_time,user_email,query,statement_type\n"
        "j1,2026-11-20 09:00:00 UTC,a@x.com,select 1,SELECT\n"
    )
    with pytest.raises(CommandError) as error:
        call_command(
            "ingest_querylog",
            str(path),
            "--source",
            "snow",
            "--format",
            "snowflake",
            "--no-progress",
        )
    assert "BigQuery" in str(error.value)
    assert not AssetUsageDay.objects.exists()


def test_an_unknown_file_is_refused_before_a_run_exists(revenue, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(CommandError, match="notes.csv"):
        call_command("ingest_querylog", str(path), "--source", "snow", "--no-progress")
    assert not IngestRun.objects.filter(kind="query_log").exists()


def test_a_missing_file_is_named(db, tmp_path):
    with pytest.raises(CommandError, match="nope.csv: does not exist"):
        call_command(
            "ingest_querylog", str(tmp_path / "nope.csv"), "--source", "snow", "--no-progress"
        )


def test_a_run_that_fails_midway_leaves_every_earlier_number_as_it_was(
    revenue, tmp_path, monkeypatch
):
    ingest_log_ok(
        write_log(tmp_path / "a.csv", [row(f"q{n}", REVENUE.format(n=n)) for n in range(5)])
    )
    before = (
        revenue_queries(revenue),
        SeenQuery.objects.count(),
        QueryLogSource.objects.get().watermark,
    )

    import lineage.querylog.write as write

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(write, "usage_refresh", explode)
    path = write_log(tmp_path / "b.csv", [row(f"r{n}", REVENUE.format(n=n)) for n in range(5)])
    with pytest.raises(RuntimeError):
        ingest_log(path)
    run = IngestRun.objects.filter(kind="query_log").latest("pk")
    assert run.status == IngestRun.Status.FAILED and "disk full" in run.error
    assert (
        revenue_queries(revenue),
        SeenQuery.objects.count(),
        QueryLogSource.objects.get().watermark,
    ) == before
    monkeypatch.undo()
    # The same file, once the problem is gone, counts its statements exactly once.
    ingest_log_ok(path)
    assert revenue_queries(revenue) == 10


def test_the_command_reports_the_run_and_exits_zero(revenue, tmp_path, capsys):
    path = write_log(tmp_path / "qh.csv", [row(f"q{n}", REVENUE.format(n=n)) for n in range(4)])
    call_command("ingest_querylog", str(path), "--source", "snow", "--no-progress")
    out = capsys.readouterr().out
    assert "4 rows, 4 new statements" in out and "1 shapes (1 new)" in out
    call_command("ingest_querylog", str(path), "--source", "snow", "--no-progress")
    assert "0 new statements (0 executions), 4 already counted" in capsys.readouterr().out
