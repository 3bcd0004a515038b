"""What each format's reader does beyond the shared contract: Snowflake's ACCESS_HISTORY
join, BigQuery's skipped jobs and hidden result tables, Redshift's long statements, csvlog's
outcome and duration lines, pg_stat_statements' calls, and the demo export."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lineage.querylog.formats import LogRecord, RowError, WrongFormat, read_file
from lineage.querylog.formats.pg_stat_statements import record_from_row

SAMPLES = Path(__file__).parent / "samples"
DEMO = Path(__file__).resolve().parents[3] / "examples" / "demo_querylog"


def records_of(path: Path, fmt: str | None = None, extras: dict | None = None) -> list[LogRecord]:
    items = list(read_file(path, fmt, extras))
    assert [i for i in items if isinstance(i, RowError)] == []
    return items  # type: ignore[return-value]


def by_id(records: list[LogRecord]) -> dict[str, LogRecord]:
    return {r.query_id: r for r in records}


# --- Snowflake --------------------------------------------------------------------------------


SF = "01c0a1b2-0602-4f1e-0000-1d2c3b4a5f0"


def test_snowflake_access_history_fills_what_each_query_read_and_wrote():
    records = by_id(
        records_of(
            SAMPLES / "snowflake_query_history.csv",
            "snowflake",
            {"access_history": SAMPLES / "snowflake_access_history.csv"},
        )
    )
    select = records[SF + "1"]
    assert select.accessed == ("ANALYTICS.MARTS.FCT_MRR", "ANALYTICS.MARTS.DIM_ACCOUNTS")
    assert select.written == ()
    assert "ANALYTICS.MARTS.DIM_ACCOUNTS.ACCOUNT_NAME" in select.accessed_columns
    # The INSERT read a view: the base table behind it counts, the stage does not.
    insert = records[SF + "2"]
    assert insert.accessed == ("ANALYTICS.MARTS.FCT_MRR",)
    assert insert.written == ("ANALYTICS.REPORTING.WEEKLY_MRR",)
    assert insert.accessed_columns == (
        "ANALYTICS.MARTS.FCT_MRR.MRR_MONTH",
        "ANALYTICS.MARTS.FCT_MRR.MRR_AMOUNT",
    )
    merge = records[SF + "6"]
    assert merge.written == ("ANALYTICS.REPORTING.CRM_SYNC",)
    # No ACCESS_HISTORY row for the failed query: nothing claimed.
    assert records[SF + "3"].accessed == ()


def test_snowflake_without_access_history_claims_no_objects():
    records = records_of(SAMPLES / "snowflake_query_history.csv", "snowflake")
    assert all(r.accessed == () and r.written == () for r in records)


def test_snowflake_values_statuses_and_durations():
    records = by_id(records_of(SAMPLES / "snowflake_query_history.csv", "snowflake"))
    failed = records[SF + "3"]
    assert failed.succeeded is False
    assert failed.duration_ms == 110
    assert failed.rows == 0
    ctas = records[SF + "4"]
    assert ctas.statement_type == "CREATE_TABLE_AS_SELECT"
    assert (ctas.database, ctas.schema) == ("ANALYTICS", "SCRATCH")
    # +0100 in the export is 00:30 UTC, the day before in local terms for the usage model.
    assert records[SF + "5"].started_at == datetime(2026, 11, 21, 0, 30, tzinfo=UTC)
    assert "'Media, Film'" in records[SF + "5"].text


def test_snowflake_jsonl_times_as_iso_and_epoch_millis_read_alike():
    csv_records = records_of(SAMPLES / "snowflake_query_history.csv", "snowflake")
    jsonl_records = records_of(SAMPLES / "snowflake_query_history.jsonl", "snowflake")
    assert [r.started_at for r in jsonl_records] == [r.started_at for r in csv_records]
    assert [r.text for r in jsonl_records] == [r.text for r in csv_records]


def test_snowflake_broken_json_lines_are_reported_and_the_rest_read():
    items = list(read_file(SAMPLES / "snowflake_query_history_bad.jsonl"))
    errors = [(i.line, i.message) for i in items if isinstance(i, RowError)]
    assert [line for line, _ in errors] == [2, 4, 5]
    assert "not valid JSON" in errors[0][1]
    assert "expected a JSON object" in errors[1][1]
    assert errors[2][1] == "START_TIME '2026-02-30 10:00:00' is not a timestamp"
    assert [i.line for i in items if isinstance(i, LogRecord)] == [1, 6]


def test_snowflake_invalid_utf8_in_a_json_line_is_one_row_error(tmp_path):
    path = tmp_path / "history.jsonl"
    good = (SAMPLES / "snowflake_query_history.jsonl").read_bytes().splitlines(keepends=True)
    path.write_bytes(
        good[0] + good[1].replace(b"ANALYTICS.REPORTING", b"ANALYTICS.\xffREPORTING") + good[2]
    )
    items = list(read_file(path))
    assert [(i.line, i.message) for i in items if isinstance(i, RowError)] == [
        (2, "not valid UTF-8")
    ]
    assert len([i for i in items if isinstance(i, LogRecord)]) == 2


def test_snowflake_bad_access_history_rows_name_the_companion_file(tmp_path):
    companion = tmp_path / "access.csv"
    companion.write_text(
        "QUERY_ID,BASE_OBJECTS_ACCESSED,OBJECTS_MODIFIED\n"
        f'{SF}1,"[{{""objectName"": ""A.B.C"", ""objectDomain"": ""Table""}}]",[]\n'
        f"{SF}2,not json,[]\n"
    )
    items = list(
        read_file(
            SAMPLES / "snowflake_query_history.csv", "snowflake", {"access_history": companion}
        )
    )
    errors = [i for i in items if isinstance(i, RowError)]
    assert len(errors) == 1
    assert errors[0].message.startswith(
        "access.csv line 3: BASE_OBJECTS_ACCESSED is not valid JSON"
    )
    records = by_id([i for i in items if isinstance(i, LogRecord)])
    assert records[SF + "1"].accessed == ("A.B.C",)
    assert records[SF + "2"].accessed == ()


def test_snowflake_access_history_in_the_wrong_format_is_refused():
    with pytest.raises(
        WrongFormat, match="bigquery_jobs.csv does not look like a Snowflake ACCESS_HISTORY"
    ):
        read_file(
            SAMPLES / "snowflake_query_history.csv",
            "snowflake",
            {"access_history": SAMPLES / "bigquery_jobs.csv"},
        )


@pytest.mark.parametrize("name", ["snowflake_query_history.csv", "snowflake_query_history.jsonl"])
def test_the_demo_snowflake_export_reads_cleanly(name):
    items = list(read_file(DEMO / name))
    errors = [i for i in items if isinstance(i, RowError)]
    assert errors == []
    assert len(items) == 2000
    assert len({i.query_id for i in items}) == 2000
    assert {i.user for i in items} >= {"LOOKER_SVC", "TABLEAU_SVC", "HIGHTOUCH_SVC"}
    assert any(not i.succeeded for i in items)
    assert any(i.statement_type == "MERGE" for i in items)


def test_the_demo_csv_and_jsonl_hold_the_same_statements():
    from_csv = records_of(DEMO / "snowflake_query_history.csv")
    from_jsonl = records_of(DEMO / "snowflake_query_history.jsonl")
    assert [(r.query_id, r.text, r.started_at, r.user) for r in from_csv] == [
        (r.query_id, r.text, r.started_at, r.user) for r in from_jsonl
    ]


# --- BigQuery ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bigquery_jobs.jsonl", "bigquery_jobs.csv"])
def test_bigquery_tables_come_from_referenced_and_destination_tables(name):
    records = by_id(records_of(SAMPLES / name, "bigquery"))
    assert "fivetran_load_9d8c7b6a" not in records  # a LOAD job is not a query
    insert = records["airflow_weekly_mrr_2026_11_20"]
    assert insert.accessed == ("acme-analytics.marts.fct_mrr", "acme-analytics.marts.dim_accounts")
    assert insert.written == ("acme-analytics.reporting.weekly_mrr",)
    assert (insert.database, insert.schema) == ("acme-analytics", "reporting")  # default_dataset
    assert insert.duration_ms == 8000
    select = records["bquxjob_5f1c2e3d_18c2a1b0d11"]
    assert select.written == ()  # results went to a hidden "_..." dataset
    assert select.user == "erin.kovac@acme.example"
    failed = records["bquxjob_1a2b3c4d_18c2a1b0e22"]
    assert failed.succeeded is False


# --- Redshift ---------------------------------------------------------------------------------


def test_redshift_long_statements_are_rebuilt_from_sys_query_text_in_sequence_order():
    with_text = by_id(
        records_of(
            SAMPLES / "redshift_sys_query_history.csv",
            "redshift",
            {"query_text": SAMPLES / "redshift_sys_query_text.csv"},
        )
    )
    without = by_id(records_of(SAMPLES / "redshift_sys_query_history.csv", "redshift"))
    truncated = without["2811402"].text
    full = with_text["2811402"].text
    assert len(truncated) == 4000
    assert len(full) > 8000
    assert full.startswith(truncated)
    assert full.startswith("/* looker: explore mrr_by_plan */\nSELECT")
    assert full.endswith("GROUP BY m.mrr_month\nORDER BY m.mrr_month")
    # every generated column is there exactly once, in order: chunks joined by sequence
    positions = [full.index(f"AS mrr_plan_{i:03d}") for i in range(120)]
    assert positions == sorted(positions)
    # short statements are untouched by the join
    assert with_text["2811401"].text == without["2811401"].text


def test_redshift_units_user_names_and_status():
    records = by_id(records_of(SAMPLES / "redshift_sys_query_history.csv", "redshift"))
    first = records["2811401"]
    assert first.duration_ms == 1500  # elapsed_time is in microseconds
    assert first.rows == 12
    assert first.database == "analytics"
    assert records["2811403"].statement_type == "CTAS"
    assert records["2811404"].succeeded is False


def test_redshift_uses_usename_when_the_export_has_it(tmp_path):
    source = (SAMPLES / "redshift_sys_query_history.csv").read_text()
    rows = list(csv.reader(io.StringIO(source)))
    rows[0].append("usename")
    for row, name in zip(rows[1:], ["erin", "looker", "dbt", "erin"], strict=True):
        row.append(name)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path = tmp_path / "history.csv"
    path.write_text(buf.getvalue())
    assert [r.user for r in records_of(path)] == ["erin", "looker", "dbt", "erin"]


def test_redshift_newlines_flattened_to_backslash_n_are_restored(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text(
        '{"user_id": 100, "query_id": 7, "query_text": "SELECT 1\\\\nFROM marts.fct_mrr", '
        '"start_time": "2026-11-20 08:00:00", "status": "success", "elapsed_time": 1000}\n'
    )
    [record] = records_of(path, "redshift")
    assert record.text == "SELECT 1\nFROM marts.fct_mrr"


# --- PostgreSQL csvlog ------------------------------------------------------------------------


def test_csvlog_pairs_outcome_and_duration_lines_with_their_statement():
    records = by_id(records_of(SAMPLES / "postgresql-2026-11-20_090000.csv", "postgres_csvlog"))
    # log_statement=all, then "duration: 17.842 ms" alone on the session's next line
    assert records["673da1be.2f1a:2"].duration_ms == pytest.approx(17.842)
    assert records["673da1be.2f1a:2"].text.endswith("WHERE m.mrr_month = '2026-11-01';")
    # the ERROR right after the statement in the same session marks it failed
    assert records["673da1be.2f1a:4"].succeeded is False
    # log_min_duration_statement: the line is written at the end, so the start is earlier
    execute = records["673da1c0.2f40:1"]
    assert execute.duration_ms == pytest.approx(250.5)
    assert execute.started_at == datetime(2026, 11, 20, 9, 0, 1, 749500, tzinfo=UTC)
    assert execute.text.startswith(
        "SELECT industry, COUNT(*) FROM marts.dim_accounts WHERE industry = $1"
    )
    # a CET log_time is converted; the command tag "idle" gives way to the statement's verb
    insert = records["673da1c4.2f45:1"]
    assert insert.started_at == datetime(2026, 11, 20, 9, 0, 5, 250000, tzinfo=UTC)
    assert insert.statement_type == "INSERT"
    assert (insert.user, insert.database) == ("dbt", "analytics")
    # connection, checkpoint and parse lines are not statements
    assert len(records) == 4


def _rewrite_csvlog(tmp_path: Path, *, columns: int, header: bool) -> Path:
    rows = list(
        csv.reader(
            io.StringIO((SAMPLES / "postgresql-2026-11-20_090000.csv").read_text(), newline="")
        )
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        from lineage.querylog.formats.postgres_csvlog import COLUMNS

        writer.writerow(COLUMNS[:columns])
    writer.writerows(row[:columns] for row in rows)
    path = tmp_path / "postgresql.csv"
    path.write_text(out.getvalue())
    return path


@pytest.mark.parametrize(
    ("columns", "header"),
    [(23, False), (24, False), (26, True)],
    ids=["postgres12-23-columns", "postgres13-24-columns", "copy-with-header"],
)
def test_csvlog_of_every_postgres_version_reads_the_same(tmp_path, columns, header):
    path = _rewrite_csvlog(tmp_path, columns=columns, header=header)
    expected = [r.query_id for r in records_of(SAMPLES / "postgresql-2026-11-20_090000.csv")]
    assert [r.query_id for r in records_of(path)] == expected


def test_csvlog_statements_stay_in_file_order_when_a_session_goes_quiet(tmp_path):
    from lineage.querylog.formats.postgres_csvlog import WINDOW

    lines = [
        "2026-11-20 09:00:00.000 UTC,u,db,1,h,s1,1,idle,t,1/1,0,LOG,00000,"
        '"statement: SELECT 1",,,,,,,,,psql'
    ]
    # another session logs more than WINDOW lines while s1 stays silent
    lines += [
        f"2026-11-20 09:00:01.000 UTC,u,db,2,h,s2,{n},idle,t,1/1,0,LOG,00000,"
        f'"statement: SELECT {n}",,,,,,,,,psql'
        for n in range(1, WINDOW + 50)
    ]
    path = tmp_path / "postgresql.csv"
    path.write_text("\n".join(lines) + "\n")
    records = records_of(path)
    assert len(records) == WINDOW + 50
    assert [r.line for r in records] == sorted(r.line for r in records)
    assert records[0].query_id == "s1:1"


# --- pg_stat_statements -----------------------------------------------------------------------


def test_pg_stat_statements_records_stand_for_their_calls():
    records = records_of(SAMPLES / "pg_stat_statements.csv")
    assert [r.calls for r in records] == [1432, 57, 7]
    assert records[0].duration_ms == pytest.approx(3580.25 / 1432)  # mean per call
    assert records[0].rows == 14320
    assert [r.statement_type for r in records] == ["SELECT", "SELECT", "INSERT"]
    assert records[1].database == "analytics"


def test_pg_stat_statements_without_a_capture_time_uses_the_file_time_but_a_stable_id(tmp_path):
    rows = list(csv.reader(io.StringIO((SAMPLES / "pg_stat_statements.csv").read_text())))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(row[:-1] for row in rows)  # drop captured_at
    path = tmp_path / "pgss.csv"
    path.write_text(out.getvalue())
    os.utime(path, (1795132800, 1795132800))  # 2026-11-20 00:00 UTC
    first = records_of(path)
    os.utime(path, (1795219200, 1795219200))  # a day later: the same snapshot, uploaded again
    second = records_of(path)
    assert (
        [r.query_id for r in first]
        == [r.query_id for r in second]
        == [
            "16384:16390:-4217839562349213111",
            "16385:16390:8830215547761127590",
            "16386:16390:1200334455667788990",
        ]
    )
    assert first[0].started_at == datetime(2026, 11, 20, tzinfo=UTC)


def test_record_from_row_is_the_normalisation_a_live_pull_reuses():
    pulled = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
    row = {
        "userid": 16384,
        "dbid": 16390,
        "queryid": -42,
        "query": "SELECT * FROM marts.fct_mrr WHERE account_id = $1",
        "calls": 100,
        "total_exec_time": 250.0,
        "rows": 100,
        "rolname": "metabase",
        "datname": "analytics",
    }
    record = record_from_row(row, captured_at=pulled, calls=3)
    assert isinstance(record, LogRecord)
    assert record.query_id == "16384:16390:-42@20261120T123000.000000"
    assert (record.calls, record.user, record.database, record.started_at) == (
        3,
        "metabase",
        "analytics",
        pulled,
    )
    assert record.duration_ms == pytest.approx(2.5)
    assert record_from_row(row, captured_at=pulled, calls=0) is None  # nothing ran since last pull
    assert isinstance(record_from_row({**row, "query": ""}, captured_at=pulled), RowError)


def test_snowflake_export_joined_with_access_history_in_one_query_reads_it_inline(tmp_path):
    history = list(csv.reader(io.StringIO((SAMPLES / "snowflake_query_history.csv").read_text())))
    access = {
        row[0]: row
        for row in csv.reader(io.StringIO((SAMPLES / "snowflake_access_history.csv").read_text()))
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*history[0], "BASE_OBJECTS_ACCESSED", "OBJECTS_MODIFIED"])
    for row in history[1:]:
        joined = access.get(row[0])
        writer.writerow([*row, joined[4] if joined else "", joined[5] if joined else ""])
    path = tmp_path / "history_with_access.csv"
    path.write_text(out.getvalue())
    inline = by_id(records_of(path))
    companion = by_id(
        records_of(
            SAMPLES / "snowflake_query_history.csv",
            "snowflake",
            {"access_history": SAMPLES / "snowflake_access_history.csv"},
        )
    )
    assert {k: (r.accessed, r.written) for k, r in inline.items()} == {
        k: (r.accessed, r.written) for k, r in companion.items()
    }
    assert inline[SF + "2"].written == ("ANALYTICS.REPORTING.WEEKLY_MRR",)


# --- CSV as people's tools write it -----------------------------------------------------------


def test_a_windows_export_with_bom_and_crlf_reads_with_the_right_lines(tmp_path):
    text = (SAMPLES / "snowflake_query_history.csv").read_text()
    path = tmp_path / "history.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    plain = records_of(SAMPLES / "snowflake_query_history.csv")
    windows = records_of(path)
    assert [(r.query_id, r.line) for r in windows] == [(r.query_id, r.line) for r in plain]
    # quoted newlines inside statements are data: they keep whatever the export wrote
    assert windows[0].text.replace("\r\n", "\n") == plain[0].text


def test_a_multi_line_row_with_a_missing_column_is_reported_on_its_first_line(tmp_path):
    lines = (SAMPLES / "snowflake_query_history.csv").read_text().splitlines(keepends=True)
    # rows 2-6 are the first (five-line) statement; drop its last column
    lines[5] = lines[5].rsplit(",", 1)[0] + "\n"
    path = tmp_path / "history.csv"
    path.write_text("".join(lines))
    items = list(read_file(path))
    assert [(i.line, i.message) for i in items if isinstance(i, RowError)] == [
        (2, "expected 19 columns, found 18")
    ]
    assert [i.line for i in items if isinstance(i, LogRecord)] == [7, 9, 11, 13, 14]


def test_exports_concatenated_with_their_headers_read_as_one(tmp_path):
    text = (SAMPLES / "snowflake_query_history.csv").read_text()
    path = tmp_path / "two_days.csv"
    path.write_text(text + text)
    items = list(read_file(path))
    assert [i for i in items if isinstance(i, RowError)] == []
    assert len(items) == 12


@pytest.mark.parametrize("name", ["snowflake_query_history.csv", "snowflake_query_history.jsonl"])
def test_a_statement_holding_a_nul_character_is_a_row_error(tmp_path, name):
    # PostgreSQL text cannot store NUL: the row is reported, not stored half-way.
    raw = (SAMPLES / name).read_bytes()
    nul = b"\\u0000" if name.endswith(".jsonl") else b"\x00"
    path = tmp_path / name
    path.write_bytes(
        raw.replace(b"SELECT * FROM ANALYTICS.MARTS.FCT_CHURN", b"SELECT * FROM " + nul + b"X", 1)
    )
    items = list(read_file(path))
    errors = [(i.line, i.message) for i in items if isinstance(i, RowError)]
    assert errors == [(9 if name.endswith(".csv") else 3, "contains a NUL character")]
    assert len([i for i in items if isinstance(i, LogRecord)]) == 5


@pytest.mark.parametrize("name", ["snowflake_query_history.csv", "snowflake_query_history.jsonl"])
def test_a_gzip_cut_short_reports_where_it_ends_after_reading_what_it_holds(tmp_path, name):
    import gzip as gz

    data = gz.compress((DEMO / name).read_bytes())
    path = tmp_path / (name + ".gz")
    path.write_bytes(data[: len(data) // 2])
    items = list(read_file(path))
    records = [i for i in items if isinstance(i, LogRecord)]
    errors = [i for i in items if isinstance(i, RowError)]
    assert 100 < len(records) < 2000
    assert len(errors) == 1 and items[-1] is errors[0]
    assert errors[0].message.startswith("the file is damaged or cut short after line ")
    assert errors[0].line > records[-1].line


def test_redshift_bad_sys_query_text_rows_name_the_companion_and_the_rest_still_joins(tmp_path):
    lines = (SAMPLES / "redshift_sys_query_text.csv").read_text().splitlines(keepends=True)
    companion = tmp_path / "query_text.csv"
    companion.write_text(
        "".join(lines) + "100,2811402,90002,1073815602,2026-11-20 08:05:00,x,tail\n"
    )
    items = list(
        read_file(SAMPLES / "redshift_sys_query_history.csv", "redshift", {"query_text": companion})
    )
    errors = [i for i in items if isinstance(i, RowError)]
    assert [e.message for e in errors] == [
        f"query_text.csv line {len(lines) + 1}: sequence 'x' is not a number"
    ]
    long = by_id([i for i in items if isinstance(i, LogRecord)])["2811402"]
    assert len(long.text) > 8000 and not long.text.endswith("tail")


def test_a_csv_cut_short_inside_a_quoted_statement_reports_that_row(tmp_path):
    text = (SAMPLES / "snowflake_query_history.csv").read_text()
    cut = text.index("MERGE INTO ANALYTICS.REPORTING.CRM_SYNC") + 30  # inside the last row's text
    path = tmp_path / "history.csv"
    path.write_text(text[:cut])
    items = list(read_file(path))
    assert [(i.line, i.message) for i in items if isinstance(i, RowError)] == [
        (14, "expected 19 columns, found 2")
    ]
    assert [i.line for i in items if isinstance(i, LogRecord)] == [2, 7, 9, 11, 13]
