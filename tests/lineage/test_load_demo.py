"""`make run`'s demo: load_demo loads the example project and the demo query log with their
timestamps moved to the present, so that a newcomer sees usage, consumers and fresh data."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from catalog.demo import demo_offset, shift_artifact, shift_dbt_target, shift_timestamp
from catalog.models import Asset, NodeRunResult, SourceFreshnessResult
from lexicon_core.roles import VIEWER
from lineage.demo import shift_query_history
from lineage.models import AssetUsageDay, SeenQuery

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# dbt's warn_after of each source in the example (sources.json criteria), hours.
WARN_AFTER_HOURS = {"subscriptions": 12, "accounts": 12, "invoices": 24, "product_events": 6}


def load_demo(now: datetime | None = None) -> str:
    out = StringIO()
    args = ["--now", now.isoformat()] if now else []
    call_command("load_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def asset(name: str, kind: str = "model") -> Asset:
    return Asset.objects.get(name=name, kind=kind)


# ----------------------------------------------------------------- the shift, unit by unit


def test_shift_timestamp_keeps_the_way_each_timestamp_is_written():
    week = timedelta(days=7, hours=2)
    assert shift_timestamp("2026-11-24T02:19:09.715270Z", week) == "2026-12-01T04:19:09.715270Z"
    assert shift_timestamp("2026-11-24T02:17:40+00:00", week) == "2026-12-01T04:17:40+00:00"
    assert shift_timestamp("2026-11-24T02:17:40", week) == "2026-12-01T04:17:40"
    assert shift_timestamp("not a time", week) == "not a time"


def test_demo_offset_is_whole_steps_that_bring_the_newest_timestamp_just_before_now():
    newest = datetime(2026, 11, 24, 2, 19, tzinfo=UTC)
    now = datetime(2026, 12, 4, 18, 50, tzinfo=UTC)
    offset = demo_offset(newest, now, timedelta(hours=1))
    assert offset == timedelta(days=10, hours=16)
    assert now - timedelta(hours=1) < newest + offset <= now
    assert demo_offset(now + timedelta(days=1), now, timedelta(hours=1)) == timedelta(0)


def test_shift_artifact_moves_metadata_and_result_timestamps_and_nothing_else():
    artifact = {
        "metadata": {
            "generated_at": "2026-11-24T02:19:02.841104Z",
            "invocation_id": "d922bb38",
            "invocation_started_at": "2026-11-24T02:18:52.828162Z",
        },
        "results": [
            {
                "unique_id": "source.p.app.t",
                "max_loaded_at": "2026-11-24T02:17:40+00:00",
                "snapshotted_at": "2026-11-24T02:19:09.602259+00:00",
                "max_loaded_at_time_ago_in_s": 89.6,
                "timing": [
                    {
                        "name": "execute",
                        "started_at": "2026-11-24T02:19:09.508356Z",
                        "completed_at": "2026-11-24T02:19:09.616399Z",
                    }
                ],
            }
        ],
        "nodes": {
            "model.p.m": {
                "created_at": 1763950725.0,
                "config": {"started_at": "2026-01-01T00:00:00Z"},
            }
        },
    }
    shifted = shift_artifact(json.loads(json.dumps(artifact)), timedelta(days=10))
    assert shifted["metadata"]["generated_at"] == "2026-12-04T02:19:02.841104Z"
    assert shifted["metadata"]["invocation_started_at"] == "2026-12-04T02:18:52.828162Z"
    result = shifted["results"][0]
    assert result["max_loaded_at"] == "2026-12-04T02:17:40+00:00"
    assert result["snapshotted_at"] == "2026-12-04T02:19:09.602259+00:00"
    assert result["timing"][0] == {
        "name": "execute",
        "started_at": "2026-12-04T02:19:09.508356Z",
        "completed_at": "2026-12-04T02:19:09.616399Z",
    }
    assert result["max_loaded_at_time_ago_in_s"] == 89.6  # an age, not a time
    assert shifted["nodes"] == artifact["nodes"]  # manifest entries keep their raw bytes
    # Another offset is another run; the same offset the same run.
    assert shifted["metadata"]["invocation_id"] != "d922bb38"
    again = shift_artifact(json.loads(json.dumps(artifact)), timedelta(days=10))
    assert again["metadata"]["invocation_id"] == shifted["metadata"]["invocation_id"]
    later = shift_artifact(json.loads(json.dumps(artifact)), timedelta(days=11))
    assert later["metadata"]["invocation_id"] != shifted["metadata"]["invocation_id"]


def test_shift_dbt_target_moves_every_file_by_the_offset_of_the_newest_timestamp(tmp_path):
    source = tmp_path / "target"
    source.mkdir()
    (source / "manifest.json").write_text(
        json.dumps(
            {
                "metadata": {"generated_at": "2026-11-24T02:19:15Z", "invocation_id": "m"},
                "nodes": {},
            }
        )
    )
    (source / "sources.json").write_text(
        json.dumps(
            {
                "metadata": {"generated_at": "2026-11-24T02:19:09Z"},
                "results": [{"max_loaded_at": "2026-11-24T01:00:00+00:00"}],
            }
        )
    )
    now = datetime(2026, 12, 4, 18, 50, tzinfo=UTC)
    shifted = shift_dbt_target(source, tmp_path / "out", now=now)
    assert shifted.files == ("manifest.json", "sources.json")
    assert shifted.newest == datetime(2026, 11, 24, 2, 19, 15, tzinfo=UTC)  # the manifest's
    assert shifted.offset == timedelta(days=10, hours=16)
    sources = json.loads((tmp_path / "out" / "sources.json").read_text())
    assert sources["results"][0]["max_loaded_at"] == "2026-12-04T17:00:00+00:00"
    assert (
        json.loads((source / "sources.json").read_text())["results"][0]["max_loaded_at"]
        == "2026-11-24T01:00:00+00:00"
    )  # the committed file is left alone


def _write_log(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["QUERY_ID", "QUERY_TEXT", "START_TIME", "END_TIME"])
        for query_id, start in rows:
            writer.writerow([query_id, "select 1", start, start.replace(":00.000", ":01.500")])


def _read_log(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_shift_query_history_moves_whole_days_until_the_last_day_is_today(tmp_path):
    _write_log(
        tmp_path / "log.csv",
        [
            ("a", "2026-11-18 09:00:00.000 +0000"),
            ("b", "2026-11-19 10:00:00.000 +0000"),
            ("c", "2026-11-19 22:00:00.000 +0000"),
        ],
    )
    now = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    log = shift_query_history(tmp_path / "log.csv", tmp_path / "out.csv", now=now)
    assert log.offset == timedelta(days=15)  # 09:00 stays 09:00: office hours stay office hours
    rows = _read_log(tmp_path / "out.csv")
    assert [(r["QUERY_ID"], r["START_TIME"], r["END_TIME"]) for r in rows] == [
        ("a~15", "2026-12-03 09:00:00.000 +0000", "2026-12-03 09:00:01.500 +0000"),
        ("b~15", "2026-12-04 10:00:00.000 +0000", "2026-12-04 10:00:01.500 +0000"),
    ]
    assert log.in_future == 1  # c would start at 22:00 today, after now
    assert log.newest_written == datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def test_shift_query_history_leaves_out_what_an_earlier_load_counted(tmp_path):
    _write_log(
        tmp_path / "log.csv",
        [
            ("a", "2026-11-17 09:00:00.000 +0000"),
            ("b", "2026-11-18 09:00:00.000 +0000"),
            ("c", "2026-11-19 08:00:00.000 +0000"),
        ],
    )
    first = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    log = shift_query_history(tmp_path / "log.csv", tmp_path / "first.csv", now=first)
    assert [(r["QUERY_ID"], r["START_TIME"]) for r in _read_log(tmp_path / "first.csv")] == [
        ("a~15", "2026-12-02 09:00:00.000 +0000"),
        ("b~15", "2026-12-03 09:00:00.000 +0000"),
    ]
    watermark = log.newest_written

    same_day = shift_query_history(
        tmp_path / "log.csv",
        tmp_path / "again.csv",
        now=first + timedelta(hours=6),
        after=watermark,
    )
    assert (same_day.rows, same_day.counted_before, same_day.in_future) == (0, 2, 1)

    next_day = shift_query_history(
        tmp_path / "log.csv", tmp_path / "later.csv", now=first + timedelta(days=1), after=watermark
    )
    # Moved one more day, a lands on a day the first load covered and is left out; b is new
    # traffic of the new today, under an id the first load never counted.
    assert [(r["QUERY_ID"], r["START_TIME"]) for r in _read_log(tmp_path / "later.csv")] == [
        ("b~16", "2026-12-04 09:00:00.000 +0000")
    ]
    assert (next_day.counted_before, next_day.in_future) == (1, 1)


# ------------------------------------------------------- what a newcomer sees after load_demo


class AfterLoadDemo(TestCase):
    """One load of the real example (a few seconds), shared by the tests of the class."""

    @classmethod
    def setUpTestData(cls):
        from config.celery import app

        # In-process tasks, as the conftest fixture sets them for function-scoped tests (this
        # runs before any fixture).
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
                cls.output = load_demo()
        finally:
            app.conf.task_always_eager = eager
        cls.viewer = get_user_model().objects.create_user(username="vera")
        cls.viewer.groups.add(Group.objects.get_or_create(name=VIEWER)[0])

    def setUp(self):
        self.client = Client()
        self.client.force_login(self.viewer)

    def test_it_says_how_far_the_artifacts_moved(self):
        assert re.search(r"Demo dbt artifacts moved forward by \d+ days", self.output)
        assert re.search(
            r"Demo query log moved forward by \d+ days: 1,9\d\d statements", self.output
        )

    def test_a_queried_model_has_reads_in_the_last_30_days_on_its_usage_tab(self):
        fct_mrr = asset("fct_mrr")
        response = self.client.get(reverse("lineage:asset_usage_panel", args=[fct_mrr.pk]))
        assert response.status_code == 200
        chart = json.loads(
            re.search(
                r'<script id="usage-data" type="application/json">(.*?)</script>',
                response.content.decode(),
                re.S,
            ).group(1)
        )
        assert len(chart["queries"]) == 30
        assert chart["labels"][-1] == timezone.now().date().isoformat()
        # Every week of the window has queries, not just its first days.
        assert all(sum(chart["queries"][i : i + 7]) > 0 for i in range(0, 28, 7))
        assert sum(chart["queries"]) > 100
        assert re.search(
            r"<strong>\d+</strong> queries in the last 30 days", response.content.decode()
        )
        assert "LOOKER_SVC" in response.content.decode()

    def test_the_impact_page_of_a_staging_model_lists_its_consumers(self):
        staging = asset("stg_subscriptions")
        response = self.client.get(reverse("lineage:asset_impact", args=[staging.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        consumers = page[page.index("Consumers") :]
        assert "LOOKER_SVC" in consumers and "ALICE_NGUYEN" in consumers
        # Last day active: the demo log's newest day (its shift is by whole days, so shortly
        # after midnight that is yesterday, not today).
        from lineage.models import AssetUserDay

        newest = AssetUserDay.objects.order_by("-day").values_list("day", flat=True).first()
        assert newest is not None and newest.isoformat() in consumers

    def test_sources_are_as_fresh_as_dbt_found_them(self):
        for name, warn_after in WARN_AFTER_HOURS.items():
            source = asset(name, kind="source")
            result = SourceFreshnessResult.objects.filter(asset=source).latest("generated_at")
            assert result.status == "pass"
            age = timezone.now() - result.max_loaded_at
            assert timedelta(0) <= age < timedelta(hours=warn_after), (name, age)
        response = self.client.get(
            reverse("catalog:asset", args=[asset("subscriptions", kind="source").pk])
        )
        assert "freshness: pass" in response.content.decode()

    def test_a_tier_1_model_reads_fresh_with_a_recent_last_run(self):
        fct_mrr = asset("fct_mrr")
        last_run = NodeRunResult.objects.filter(asset=fct_mrr).latest("generated_at")
        assert timezone.now() - last_run.completed_at < timedelta(hours=1, minutes=5)
        page = self.client.get(reverse("catalog:asset", args=[fct_mrr.pk])).content.decode()
        assert re.search(r">fresh: [^<]+ old \(SLA 24 h\)<", page)
        assert ">stale" not in page

    def test_the_unused_assets_report_names_the_unqueried_models_only(self):
        response = self.client.get(reverse("lineage:unused") + "?days=7")
        page = response.content.decode()
        listed = {int(pk) for pk in re.findall(r'href="/assets/(\d+)/"', page)}
        unqueried = {
            asset(n).pk
            for n in ("fct_support_tickets", "metricflow_time_spine", "stg_subscriptions")
        }
        queried = {asset(n).pk for n in ("fct_mrr", "customer_churn", "fct_revenue", "dim_users")}
        assert unqueried <= listed
        assert not queried & listed


# ------------------------------------------------------------------------------ loading twice


def _usage_by_day() -> dict:
    return dict(
        AssetUsageDay.objects.values_list("day").annotate(n=Sum("query_count")).order_by("day")
    )


@pytest.mark.django_db
def test_loading_twice_counts_nothing_twice():
    now = timezone.now()
    load_demo(now)
    usage, seen, runs = _usage_by_day(), SeenQuery.objects.count(), NodeRunResult.objects.count()
    output = load_demo(now)
    assert "nothing after what source 'demo-snowflake' already counted" in output
    assert "0 added, 0 changed, 201 unchanged, 0 removed" in output
    assert _usage_by_day() == usage
    assert SeenQuery.objects.count() == seen
    assert NodeRunResult.objects.count() == runs


@pytest.mark.django_db
def test_loading_again_days_later_adds_the_new_days_only_and_stays_fresh():
    first = timezone.now().replace(minute=30, second=0, microsecond=0) - timedelta(days=3)
    load_demo(first)
    before = _usage_by_day()
    runs = NodeRunResult.objects.count()
    load_demo(first + timedelta(days=3))
    after = _usage_by_day()
    # Days the first load covered keep their counts (the last one may grow by its later hours).
    covered = sorted(before)[:-1]
    assert {d: after[d] for d in covered} == {d: before[d] for d in covered}
    assert max(after) > max(before)
    # One more dbt run, as after a `dbt build`; its results are the newest.
    assert NodeRunResult.objects.count() == 2 * runs
    newest = NodeRunResult.objects.filter(asset=asset("fct_mrr")).latest("generated_at")
    assert first + timedelta(days=3) - newest.completed_at < timedelta(hours=1, minutes=5)
