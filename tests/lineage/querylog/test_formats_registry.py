"""The format registry, detection and its messages, and the value parsers all readers share."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from lineage.querylog.formats import (
    FORMATS,
    WrongFormat,
    describe_file,
    detect_format,
    get_reader,
    read_file,
)
from lineage.querylog.formats._common import parse_timestamp

SAMPLES = Path(__file__).parent / "samples"


def test_the_registry_holds_one_reader_per_documented_format():
    assert set(FORMATS) == {
        "snowflake",
        "bigquery",
        "redshift",
        "postgres_csvlog",
        "pg_stat_statements",
    }
    for name, reader in FORMATS.items():
        assert callable(reader.sniff) and callable(reader.read)
        assert reader.name == name
        assert reader.label and reader.dialect
        assert get_reader(name) is reader


def test_an_unknown_format_name_lists_the_known_ones():
    with pytest.raises(
        ValueError, match="unknown query-log format 'oracle'; known formats: snowflake, bigquery"
    ):
        get_reader("oracle")
    with pytest.raises(ValueError, match="known formats"):
        read_file(SAMPLES / "snowflake_query_history.csv", "oracle")


def test_a_companion_the_format_does_not_take_is_refused():
    with pytest.raises(ValueError, match="the bigquery format takes no access_history file"):
        read_file(
            SAMPLES / "bigquery_jobs.jsonl",
            "bigquery",
            {"access_history": SAMPLES / "snowflake_access_history.csv"},
        )


def test_wrong_format_is_raised_when_called_not_when_iterated():
    # The caller learns before it opens a run, not halfway through one.
    with pytest.raises(WrongFormat):
        read_file(SAMPLES / "bigquery_jobs.csv", "snowflake")


def test_an_unknown_csv_is_rejected_with_the_header_it_saw(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("order_id,customer_id,amount\n1,2,3.50\n")
    with pytest.raises(WrongFormat) as excinfo:
        read_file(path)
    message = str(excinfo.value)
    assert message.startswith("orders.csv is not a query-log export Lexicon can read")
    assert "its header is: order_id,customer_id,amount" in message
    assert "Snowflake QUERY_HISTORY export" in message  # says what it accepts
    assert detect_format(path).format is None


def test_an_unknown_jsonl_lists_its_keys(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps({"event": "click", "ts": 1}) + "\n")
    with pytest.raises(WrongFormat, match="its first object has keys: event, ts"):
        read_file(path)


def test_a_companion_given_as_the_main_file_says_where_it_belongs():
    with pytest.raises(WrongFormat) as excinfo:
        read_file(SAMPLES / "redshift_sys_query_text.csv")
    assert "looks like a Redshift SYS_QUERY_TEXT export" in str(excinfo.value)
    assert "query_text companion" in str(excinfo.value)
    with pytest.raises(WrongFormat, match="access_history companion"):
        read_file(SAMPLES / "snowflake_access_history.csv", "snowflake")


def test_a_json_array_and_a_binary_file_are_named_for_what_they_are(tmp_path):
    array = tmp_path / "history.json"
    array.write_text('[{"QUERY_ID": "1", "QUERY_TEXT": "SELECT 1"}]')
    with pytest.raises(WrongFormat, match="one JSON array; export it as newline-delimited JSON"):
        read_file(array)
    binary = tmp_path / "history.parquet"
    binary.write_bytes(b"PAR1\x00\x00\x15\x04\x15\x80\x01" * 50)
    with pytest.raises(WrongFormat, match="not a text file"):
        read_file(binary)


def test_describe_file_says_what_a_file_looks_like():
    assert describe_file(SAMPLES / "bigquery_jobs.csv").startswith(
        "its header looks like a BigQuery INFORMATION_SCHEMA.JOBS export (columns creation_time"
    )
    assert describe_file(SAMPLES / "postgresql-2026-11-20_090000.csv").startswith(
        "its first row looks like a PostgreSQL csvlog file (26 columns, no header"
    )


def test_detection_reads_only_the_head_of_a_large_gzip(tmp_path):
    path = tmp_path / "history.csv.gz"
    header = (SAMPLES / "snowflake_query_history.csv").read_bytes().split(b"\n", 1)[0] + b"\n"
    with gzip.open(path, "wb") as fh:
        fh.write(header)
        fh.write(b"x" * 5_000_000)  # a head-only read never gets here
    detection = detect_format(path)
    assert detection.format == "snowflake"
    assert "Snowflake QUERY_HISTORY" in detection.reason


# --- timestamps -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20 08:15:02.123 -0800", datetime(2026, 11, 20, 16, 15, 2, 123000, tzinfo=UTC)),
        ("2026-11-20 08:15:02.123 +0000", datetime(2026, 11, 20, 8, 15, 2, 123000, tzinfo=UTC)),
        ("2026-11-20T08:15:02Z", datetime(2026, 11, 20, 8, 15, 2, tzinfo=UTC)),
        ("2026-11-20T08:15:02.5+05:30", datetime(2026, 11, 20, 2, 45, 2, 500000, tzinfo=UTC)),
        ("2026-11-20 09:00:00.250000 UTC", datetime(2026, 11, 20, 9, 0, 0, 250000, tzinfo=UTC)),
        ("2026-11-20 10:00:05.250 CET", datetime(2026, 11, 20, 9, 0, 5, 250000, tzinfo=UTC)),
        ("2026-11-20 12:00:00+00", datetime(2026, 11, 20, 12, tzinfo=UTC)),
        ("2026-11-20 12:00:00 +05", datetime(2026, 11, 20, 7, tzinfo=UTC)),
        ("2026-11-20 08:15:02.123456", datetime(2026, 11, 20, 8, 15, 2, 123456, tzinfo=UTC)),
        ("1795194310", datetime(2026, 11, 20, 17, 5, 10, tzinfo=UTC)),
        ("1795194310000", datetime(2026, 11, 20, 17, 5, 10, tzinfo=UTC)),
        ("1.79519431E9", datetime(2026, 11, 20, 17, 5, 10, tzinfo=UTC)),  # bq --format=json
        (1795194310500000, datetime(2026, 11, 20, 17, 5, 10, 500000, tzinfo=UTC)),
        (1795194310.25, datetime(2026, 11, 20, 17, 5, 10, 250000, tzinfo=UTC)),
        (
            datetime(2026, 11, 20, 8, tzinfo=timezone(timedelta(hours=-8))),
            datetime(2026, 11, 20, 16, tzinfo=UTC),
        ),
    ],
)
def test_timestamps_become_aware_utc(value, expected):
    parsed = parse_timestamp(value, column="START_TIME")
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "START_TIME is empty"),
        (None, "START_TIME is empty"),
        ("yesterday", "START_TIME 'yesterday' is not a timestamp"),
        ("2026-13-01 00:00:00 +0000", "START_TIME '2026-13-01 00:00:00 +0000' is not a timestamp"),
        ("2026-11-20 10:00:00 XYZT", "is not a timestamp"),
        (True, "is not a timestamp"),
    ],
)
def test_unparsable_timestamps_say_which_column_and_value(value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_timestamp(value, column="START_TIME")


def test_a_tab_separated_export_is_told_to_use_commas(tmp_path):
    text = (SAMPLES / "pg_stat_statements.csv").read_text().splitlines()[0].replace(",", "\t")
    path = tmp_path / "pgss.tsv"
    path.write_text(text + "\n")
    with pytest.raises(
        WrongFormat, match="its columns are tab-separated; export it as comma-separated CSV"
    ):
        read_file(path)
