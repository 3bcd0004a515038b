"""The contract every query-log format keeps, one test class per format.

``FormatContract`` holds the tests; each ``Test<Format>`` subclass says which sample export
it reads (``samples/``, written by ``samples/make_samples.py`` with each warehouse's
documented column names) and what a person would find in it: the statements' ids, users,
times and text, the malformed rows and the lines they are on, and a look-alike export of
another warehouse that must be rejected with a message naming it.
"""

from __future__ import annotations

import gzip
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest

from lineage.querylog.formats import (
    FORMATS,
    MAX_ERRORS,
    LogRecord,
    ReadSummary,
    RowError,
    WrongFormat,
    detect_format,
    read_file,
    tally,
)

SAMPLES = Path(__file__).parent / "samples"


def read_all(path: Path, fmt: str | None = None, extras: dict[str, Path] | None = None):
    items = list(read_file(path, fmt, extras))
    records = [i for i in items if isinstance(i, LogRecord)]
    errors = [i for i in items if isinstance(i, RowError)]
    return records, errors


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class FormatContract:
    fmt: ClassVar[str]
    dialect: ClassVar[str]
    sample: ClassVar[str]
    extras: ClassVar[dict[str, str]] = {}
    variants: ClassVar[tuple[str, ...]] = ()  # same statements, another layout (JSONL / CSV)
    no_variants_because: ClassVar[str] = ""
    expected_ids: ClassVar[list[str]]
    # the first record as a person would check it: id, user, start (UTC), text start, type
    first: ClassVar[tuple[str, str, datetime, str, str]]
    bad_sample: ClassVar[str]
    bad_errors: ClassVar[list[tuple[int, str]]]  # (line, part of the message)
    bad_ids: ClassVar[list[str]]
    lookalike: ClassVar[str]  # another warehouse's export
    lookalike_says: ClassVar[str]  # how the message must name it
    garbage: ClassVar[str] = "garbage,row"  # a line this format cannot read

    def path(self, name: str) -> Path:
        return SAMPLES / name

    def extras_paths(self) -> dict[str, Path]:
        return {role: self.path(name) for role, name in self.extras.items()}

    # --- reading -----------------------------------------------------------------------------

    def test_sample_reads_to_the_expected_statements(self):
        records, errors = read_all(self.path(self.sample), self.fmt, self.extras_paths())
        assert errors == []
        assert [r.query_id for r in records] == self.expected_ids
        query_id, user, started, text_start, statement_type = self.first
        first = records[0]
        assert (first.query_id, first.user, first.started_at, first.statement_type) == (
            query_id,
            user,
            started,
            statement_type,
        )
        assert first.text.startswith(text_start)
        assert first.line >= 1

    def test_every_record_has_text_user_and_an_aware_utc_time(self):
        records, _ = read_all(self.path(self.sample), self.fmt, self.extras_paths())
        for record in records:
            assert record.text.strip()
            assert record.user
            assert record.started_at.utcoffset().total_seconds() == 0
            assert record.calls >= 1
        lines = [r.line for r in records]
        assert lines == sorted(lines), "records come out in file order"

    def test_other_layouts_read_to_the_same_statements(self):
        if not self.variants:
            pytest.skip(f"{self.fmt}: {self.no_variants_because}")
        for name in self.variants:
            records, errors = read_all(self.path(name), self.fmt)
            assert errors == []
            assert [r.query_id for r in records] == self.expected_ids
            assert records[0].started_at == self.first[2]

    def test_reader_declares_its_dialect(self):
        assert FORMATS[self.fmt].dialect == self.dialect
        assert FORMATS[self.fmt].name == self.fmt

    # --- detection ---------------------------------------------------------------------------

    def test_detection_picks_this_format_for_every_sample(self):
        for name in (self.sample, *self.variants, self.bad_sample):
            detection = detect_format(self.path(name))
            assert detection.format == self.fmt, f"{name}: {detection}"
            assert detection.confidence >= 0.5

    def test_detection_and_reading_see_through_gzip(self, tmp_path):
        packed = tmp_path / (self.sample + ".gz")
        with open(self.path(self.sample), "rb") as src, gzip.open(packed, "wb") as dst:
            shutil.copyfileobj(src, dst)
        misnamed = tmp_path / "export.dat"  # gzip is recognised by its bytes, not its name
        shutil.copy(packed, misnamed)
        for path in (packed, misnamed):
            assert detect_format(path).format == self.fmt
            records, errors = read_all(path, None, self.extras_paths())
            assert errors == []
            assert [r.query_id for r in records] == self.expected_ids

    def test_a_file_in_another_format_is_rejected_naming_what_it_looks_like(self):
        with pytest.raises(WrongFormat) as excinfo:
            read_file(self.path(self.lookalike), self.fmt)
        message = str(excinfo.value)
        assert message.startswith(self.lookalike)
        assert f"does not look like a {FORMATS[self.fmt].looks_like}" in message
        assert self.lookalike_says in message

    def test_the_reader_itself_refuses_another_format_before_any_row(self):
        with pytest.raises(WrongFormat) as excinfo:
            next(iter(FORMATS[self.fmt].read(self.path(self.lookalike))))
        assert self.lookalike in str(excinfo.value)

    # --- bad input ---------------------------------------------------------------------------

    def test_malformed_rows_are_reported_by_line_and_the_rest_still_read(self):
        records, errors = read_all(self.path(self.bad_sample), self.fmt)
        assert [r.query_id for r in records] == self.bad_ids
        assert [e.line for e in errors] == [line for line, _ in self.bad_errors]
        for error, (line, part) in zip(errors, self.bad_errors, strict=True):
            assert part in error.message, f"line {line}: {error.message!r}"

    def test_only_the_first_fifty_errors_are_kept_but_all_are_counted(self, tmp_path):
        path = tmp_path / self.sample
        original = self.path(self.sample).read_bytes()
        first_garbage_line = original.count(b"\n") + 1
        path.write_bytes(original + (self.garbage + "\n").encode() * 60)
        summary = ReadSummary()
        records = list(tally(read_file(path, self.fmt, self.extras_paths()), summary))
        assert [r.query_id for r in records] == self.expected_ids
        assert summary.error_count == 60
        assert MAX_ERRORS == 50
        assert len(summary.errors) == 50
        assert [e.line for e in summary.errors] == list(
            range(first_garbage_line, first_garbage_line + MAX_ERRORS)
        )
        assert summary.records == len(self.expected_ids)

    def test_an_empty_export_reads_nothing_and_is_not_detected(self, tmp_path):
        path = tmp_path / "empty.csv"
        path.write_bytes(b"")
        assert list(read_file(path, self.fmt)) == []
        with pytest.raises(WrongFormat, match="empty.csv .*empty"):
            read_file(path)


class TestSnowflake(FormatContract):
    fmt = "snowflake"
    dialect = "snowflake"
    sample = "snowflake_query_history.csv"
    extras = {"access_history": "snowflake_access_history.csv"}
    variants = ("snowflake_query_history.jsonl",)
    expected_ids = [f"01c0a1b2-0602-4f1e-0000-1d2c3b4a5f0{i}" for i in range(1, 7)]
    first = (
        "01c0a1b2-0602-4f1e-0000-1d2c3b4a5f01",
        "LOOKER_SVC",
        utc(2026, 11, 20, 16, 15, 2, 123000),  # 08:15:02.123 -0800
        "SELECT a.account_name, SUM(m.mrr_amount) AS mrr\nFROM ANALYTICS.MARTS.FCT_MRR m",
        "SELECT",
    )
    bad_sample = "snowflake_query_history_bad.csv"
    bad_errors = [
        (4, "expected 19 columns, found 17"),
        (5, "START_TIME 'yesterday at noon' is not a timestamp"),
        (6, "QUERY_ID is missing"),
        (7, "QUERY_TEXT is missing"),
        (8, "not valid UTF-8"),
    ]
    bad_ids = ["01c0bad0-0000-0000-0000-000000000001", "01c0bad0-0000-0000-0000-000000000007"]
    lookalike = "bigquery_jobs.csv"
    lookalike_says = (
        "its header looks like a BigQuery INFORMATION_SCHEMA.JOBS "
        "export (columns creation_time, project_id"
    )


class TestBigQuery(FormatContract):
    fmt = "bigquery"
    dialect = "bigquery"
    sample = "bigquery_jobs.jsonl"
    variants = ("bigquery_jobs.csv",)
    expected_ids = [
        "bquxjob_5f1c2e3d_18c2a1b0d11",
        "airflow_weekly_mrr_2026_11_20",
        "bquxjob_1a2b3c4d_18c2a1b0e22",
        "job_Xk3j9Qm2Lr8vT1pZ",
    ]
    first = (
        "bquxjob_5f1c2e3d_18c2a1b0d11",
        "erin.kovac@acme.example",
        utc(2026, 11, 20, 9, 0, 0, 250000),
        "SELECT plan_name, SUM(mrr_amount) AS mrr\nFROM `acme-analytics.marts.fct_mrr`",
        "SELECT",
    )
    bad_sample = "bigquery_jobs_bad.jsonl"
    bad_errors = [
        (2, "job_id is missing"),
        (3, "start_time '20/11/2026 10:30' is not a timestamp"),
        (4, "not valid JSON"),
        (5, "referenced_tables holds str"),
    ]
    bad_ids = ["bquxjob_5f1c2e3d_18c2a1b0d11", "job_Xk3j9Qm2Lr8vT1pZ"]
    lookalike = "snowflake_query_history.jsonl"
    lookalike_says = (
        "its first line looks like a Snowflake QUERY_HISTORY export (keys QUERY_ID, QUERY_TEXT"
    )
    garbage = '{"job_id": "cut short'


class TestRedshift(FormatContract):
    fmt = "redshift"
    dialect = "redshift"
    sample = "redshift_sys_query_history.csv"
    extras = {"query_text": "redshift_sys_query_text.csv"}
    variants = ("redshift_sys_query_history.jsonl",)
    expected_ids = ["2811401", "2811402", "2811403", "2811404"]
    first = (
        "2811401",
        "user_id:100",
        utc(2026, 11, 20, 8, 0, 0, 123456),
        "SELECT account_id, mrr_amount\nFROM marts.fct_mrr",
        "SELECT",
    )
    bad_sample = "redshift_sys_query_history_bad.csv"
    bad_errors = [
        (3, "elapsed_time 'not-a-number' is not a number"),
        (4, "expected 24 columns, found 10"),
        (5, "query_id is missing"),
    ]
    bad_ids = ["2811501", "2811505"]
    lookalike = "snowflake_query_history.csv"
    lookalike_says = (
        "its header looks like a Snowflake QUERY_HISTORY export (columns QUERY_ID, QUERY_TEXT"
    )


class TestPostgresCsvlog(FormatContract):
    fmt = "postgres_csvlog"
    dialect = "postgres"
    sample = "postgresql-2026-11-20_090000.csv"
    no_variants_because = (
        "PostgreSQL writes csvlog in one layout (column counts per version: test_formats_readers)"
    )
    expected_ids = ["673da1be.2f1a:2", "673da1c0.2f40:1", "673da1be.2f1a:4", "673da1c4.2f45:1"]
    first = (
        "673da1be.2f1a:2",
        "erin",
        utc(2026, 11, 20, 9, 0, 1, 512000),
        "SELECT a.account_name, m.mrr_amount\nFROM marts.fct_mrr m",
        "SELECT",
    )
    bad_sample = "postgres_csvlog_bad.csv"
    bad_errors = [
        (2, "expected 23 to 26 columns, found 8"),
        (3, "log_time '2026-11-20 09:10:02.000 XYZT' is not a timestamp"),
    ]
    bad_ids = ["673da1be.2f1a:10", "673da1be.2f1a:13", "673da1be.2f1a:14"]
    lookalike = "redshift_sys_query_history.csv"
    lookalike_says = (
        "its header looks like a Redshift SYS_QUERY_HISTORY export (columns user_id, query_id"
    )


class TestPgStatStatements(FormatContract):
    fmt = "pg_stat_statements"
    dialect = "postgres"
    sample = "pg_stat_statements.csv"
    variants = ("pg_stat_statements.jsonl",)
    expected_ids = [
        "16384:16390:-4217839562349213111@20261120T120000.000000",
        "16385:16390:8830215547761127590@20261120T120000.000000",
        "16386:16390:1200334455667788990@20261120T120000.000000",
    ]
    first = (
        "16384:16390:-4217839562349213111@20261120T120000.000000",
        "metabase",
        utc(2026, 11, 20, 12, 0, 0),
        "SELECT industry, COUNT(*) FROM marts.dim_accounts",
        "SELECT",
    )
    bad_sample = "pg_stat_statements_bad.csv"
    bad_errors = [(3, "queryid is missing"), (4, "calls 'many' is not a number")]
    bad_ids = [
        "16384:16390:111@20261120T120000.000000",
        "16384:16390:444@20261120T120000.000000",
    ]
    lookalike = "postgresql-2026-11-20_090000.csv"
    lookalike_says = "its first row looks like a PostgreSQL csvlog file (26 columns, no header"


def test_every_registered_format_has_a_contract_class():
    covered = {cls.fmt for cls in FormatContract.__subclasses__()}
    assert covered == set(FORMATS)
