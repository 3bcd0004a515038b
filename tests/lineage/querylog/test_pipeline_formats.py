"""Every reader's realistic sample through the whole pipeline: it ingests, counts each
statement once, creates the warehouse tables it names, and re-ingesting changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.models import Asset, AssetKind
from lineage.models import AssetUsageDay
from lineage.querylog.formats import LogRecord, read_file
from tests.lineage.querylog.helpers import ingest_log_ok
from tests.lineage.querylog.test_pipeline import usage_numbers

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"

CASES = [
    (
        "snowflake",
        "snowflake_query_history.csv",
        {"access_history": "snowflake_access_history.csv"},
    ),
    ("snowflake", "snowflake_query_history.jsonl", {}),
    ("bigquery", "bigquery_jobs.csv", {}),
    ("bigquery", "bigquery_jobs.jsonl", {}),
    ("redshift", "redshift_sys_query_history.csv", {"query_text": "redshift_sys_query_text.csv"}),
    ("postgres_csvlog", "postgresql-2026-11-20_090000.csv", {}),
    ("pg_stat_statements", "pg_stat_statements.csv", {}),
]


@pytest.mark.parametrize(("fmt", "name", "extras"), CASES, ids=[c[1] for c in CASES])
def test_each_format_ingests_once_and_reingests_to_no_change(fmt, name, extras):
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"sample {name} not present")
    extra_paths = {role: SAMPLES / file for role, file in extras.items()}
    expected = sum(
        1 for item in read_file(path, fmt, extra_paths or None) if isinstance(item, LogRecord)
    )
    run = ingest_log_ok(path, source=f"src-{fmt}", fmt=fmt, **extra_paths)
    assert run.query_log.records == expected > 0
    assert run.query_log.format == fmt
    assert Asset.objects.filter(kind=AssetKind.WAREHOUSE_RELATION).exists()
    assert AssetUsageDay.objects.exists()
    before = usage_numbers()
    again = ingest_log_ok(path, source=f"src-{fmt}", fmt=fmt, **extra_paths)
    assert again.query_log.records == 0
    assert usage_numbers() == before


def test_the_format_is_detected_when_not_given():
    run = ingest_log_ok(SAMPLES / "bigquery_jobs.jsonl", source="bq")
    assert run.query_log.format == "bigquery"
