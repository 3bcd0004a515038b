"""Usage tab, unused report, consumers in impact analysis, the upload form and the API,
with who may see and do what."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from catalog.models import Asset, IngestRun
from tests.factories import token_client
from tests.lineage.querylog.helpers import ingest_log_ok, row, write_log

pytestmark = pytest.mark.django_db

REVENUE = "select invoice_id, plan_name from saas.marts.fct_revenue where account_id = {n}"


@pytest.fixture
def used(example_catalog, db, tmp_path):
    """The example project with a week of queries on fct_revenue by two people."""
    now = timezone.now()
    rows = [
        row(
            f"q{n}",
            REVENUE.format(n=n),
            user="ALICE" if n % 3 else "BOB",
            when=now - timezone.timedelta(days=n % 7, minutes=5),
        )
        for n in range(21)
    ]
    ingest_log_ok(write_log(tmp_path / "qh.csv", rows))
    return Asset.objects.get(name="fct_revenue")


def test_usage_tab_shows_chart_top_users_queries_and_columns(client, viewer, used):
    client.force_login(viewer)
    page = client.get(f"/assets/{used.pk}/?tab=usage")
    assert f'hx-get="/lineage/assets/{used.pk}/usage/"' in page.content.decode()
    html = client.get(f"/lineage/assets/{used.pk}/usage/", HTTP_HX_REQUEST="true").content.decode()
    assert "<strong>21</strong> queries in the last 30 days" in html
    assert "data-usage-chart" in html and "chart.umd.min.js" in html and 'id="usage-data"' in html
    assert html.index(">ALICE<") < html.index(">BOB<")  # 14 queries before 7
    assert "select invoice_id , plan_name from saas.marts.fct_revenue where account_id = ?" in html
    assert ">invoice_id<" in html and ">plan_name<" in html


def test_usage_tab_of_an_unqueried_asset_says_how_to_get_usage(client, viewer, used):
    client.force_login(viewer)
    other = Asset.objects.get(name="dim_users")
    html = client.get(f"/lineage/assets/{other.pk}/usage/").content.decode()
    assert "No query-log usage for dim_users yet" in html and "ingest_querylog" in html


def test_outsiders_see_no_usage(client, outsider, used):
    client.force_login(outsider)
    assert client.get(f"/lineage/assets/{used.pk}/usage/").status_code == 403
    assert client.get("/lineage/unused/").status_code == 403
    assert token_client(outsider).get(f"/api/v1/usage/{used.pk}/").status_code == 403


def test_unused_report_lists_assets_nobody_read(client, viewer, used):
    client.force_login(viewer)
    html = client.get("/lineage/unused/?days=30").content.decode()
    assert ">dim_users<" in html or "dim_users" in html
    assert f'href="/assets/{used.pk}/"' not in html
    tier1 = client.get("/lineage/unused/?days=30&tier=1").content.decode()
    assert "customer_churn" in tier1 and "dim_users" not in tier1  # dim_users is tier 2
    assert "No query log has been ingested yet" not in html


@pytest.mark.parametrize("n_assets", [3, 30])
def test_unused_report_query_count_does_not_grow_with_its_rows(
    client, viewer, n_assets, django_assert_num_queries
):
    """The same queries for 3 rows and for 30, as the page and as the HTMX fragment: the
    session (unless Redis caches it), the count, "any log ingested?", and the page of assets
    with their project and usage."""
    from django.conf import settings

    from catalog.models import Project
    from lineage.models import AssetUsage

    queries = 3 if settings.SESSION_ENGINE.endswith(".cached_db") else 4

    long_ago = timezone.now() - timezone.timedelta(days=400)
    IngestRun.objects.create(kind=IngestRun.Kind.QUERY_LOG, status=IngestRun.Status.SUCCEEDED)
    for i in range(n_assets):
        project = Project.objects.create(name=f"project{i}")
        asset = Asset.objects.create(
            project=project,
            unique_id=f"model.p{i}.t{i}",
            kind="model",
            name=f"table_{i}",
            database="db",
            schema="marts",
            identifier=f"table_{i}",
            dbt_tier=1 + i % 3,
            dbt_owners=[f"owner{i}@example.com"],
        )
        if i % 2:  # read long ago; the others were never read
            AssetUsage.objects.create(asset=asset, last_read_at=long_ago, last_write_at=long_ago)
    client.force_login(viewer)
    client.get("/lineage/")  # session warm-up
    with django_assert_num_queries(queries):
        html = client.get("/lineage/unused/?days=90").content.decode()
    assert f"{n_assets} assets" in html and html.count('href="/assets/') == n_assets
    assert f"owner{n_assets - 1}@example.com" in html and "Tier 3" in html
    with django_assert_num_queries(queries):
        fragment = client.get("/lineage/unused/?days=90&tier=1", HTTP_HX_REQUEST="true")
    assert fragment.content.decode().count('href="/assets/') == len(range(0, n_assets, 3))


def test_impact_analysis_lists_consumers_on_the_page_and_in_the_csv(client, viewer, used):
    client.force_login(viewer)
    upstream = Asset.objects.get(name="stg_invoices")  # fct_revenue is downstream of it
    html = client.get(f"/lineage/assets/{upstream.pk}/impact/").content.decode()
    consumers = html[html.index('id="consumers"') :]
    assert "ALICE" in consumers and "BOB" in consumers
    csv_text = client.get(f"/lineage/assets/{upstream.pk}/impact/?format=csv").content.decode()
    assert ",consumer,ALICE," in csv_text


def test_usage_api(used, viewer):
    body = token_client(viewer).get(f"/api/v1/usage/{used.pk}/?days=7").json()
    assert body["total_queries"] == 21 and len(body["per_day"]) == 7
    assert [u["user"] for u in body["top_users"]] == ["ALICE", "BOB"]
    assert body["top_queries"][0]["queries"] == 21 and "?" in body["top_queries"][0]["text"]
    assert {c["user"] for c in body["consumers"]} == {"ALICE", "BOB"}
    assert token_client(viewer).get(f"/api/v1/usage/{used.pk}/?days=0").status_code == 400


def _log_bytes(tmp_path) -> bytes:
    return write_log(
        tmp_path / "upload.csv", [row("u1", REVENUE.format(n=1)), row("u2", REVENUE.format(n=2))]
    ).read_bytes()


def test_admin_token_uploads_a_query_log_and_polls_the_run(
    admin_user, used, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.LEXICON_UPLOAD_DIR = tmp_path / "uploads"
    client = token_client(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/ingest/querylog/",
            {"file": SimpleUploadedFile("qh.csv", _log_bytes(tmp_path)), "source": "snow"},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    run = client.get(response["Location"]).json()
    assert run["status"] == "succeeded" and run["kind"] == "query_log"
    assert run["counts"]["statements"]["added"] == 2
    assert not any((tmp_path / "uploads").iterdir())


def test_query_log_upload_needs_an_admin(viewer, used, tmp_path):
    response = token_client(viewer).post(
        "/api/v1/ingest/querylog/",
        {"file": SimpleUploadedFile("qh.csv", _log_bytes(tmp_path)), "source": "snow"},
        format="multipart",
    )
    assert response.status_code == 403
    assert not IngestRun.objects.filter(
        kind=IngestRun.Kind.QUERY_LOG, created_by=None, trigger="api"
    ).exists()


def test_a_file_in_the_wrong_format_is_refused_with_what_it_looks_like(
    admin_user, used, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.LEXICON_UPLOAD_DIR = tmp_path / "uploads"
    with django_capture_on_commit_callbacks(execute=True):
        response = token_client(admin_user).post(
            "/api/v1/ingest/querylog/",
            {
                "file": SimpleUploadedFile("qh.csv", _log_bytes(tmp_path)),
                "source": "bq",
                "format": "bigquery",
            },
            format="multipart",
        )
    run = IngestRun.objects.get(pk=response.json()["id"])
    assert run.status == IngestRun.Status.FAILED
    assert "Snowflake QUERY_HISTORY" in run.error


def test_ingest_runs_page_offers_admins_the_query_log_upload(
    client, admin_user, viewer, used, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.LEXICON_UPLOAD_DIR = tmp_path / "uploads"
    client.force_login(viewer)
    assert "Upload a warehouse query log" not in client.get("/ingest/").content.decode()
    assert client.get("/lineage/querylog/upload/").status_code == 403
    client.force_login(admin_user)
    page = client.get("/ingest/").content.decode()
    assert (
        "Upload a warehouse query log" in page and "Query log" in page
    )  # the earlier run is listed
    form = client.get("/lineage/querylog/upload/", HTTP_HX_REQUEST="true").content.decode()
    assert 'name="source"' in form and "Snowflake" in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/lineage/querylog/upload/",
            {"log": SimpleUploadedFile("qh.csv", _log_bytes(tmp_path)), "source": "snow"},
        )
    assert response.status_code == 302
    run = IngestRun.objects.filter(kind="query_log").latest("pk")
    detail = client.get(response["Location"]).content.decode()
    assert f"/lineage/querylog/runs/{run.pk}/" in detail
    panel = client.get(f"/lineage/querylog/runs/{run.pk}/").content.decode()
    assert "2 rows read: 2 new statements counted" in " ".join(panel.split())


def test_a_bad_upload_form_is_shown_again_with_the_reason(client, admin_user, used):
    client.force_login(admin_user)
    response = client.post("/lineage/querylog/upload/", {"source": "snow"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_a_recent_write_in_the_log_shows_the_table_fresh_against_its_tier_sla(
    client, viewer, used, tmp_path
):
    churn = Asset.objects.get(name="customer_churn")  # tier 1: 24 h
    ingest_log_ok(
        write_log(
            tmp_path / "w.csv",
            [
                row(
                    "w1",
                    "insert into saas.marts.customer_churn (churn_id) select account_id from "
                    "saas.marts.fct_revenue",
                    when=timezone.now() - timezone.timedelta(hours=2),
                    query_type="INSERT",
                )
            ],
        )
    )
    client.force_login(viewer)
    html = client.get(f"/lineage/assets/{churn.pk}/usage/").content.decode()
    assert "fresh (SLA 24 h)" in html


def test_an_upload_for_a_new_source_takes_the_dialect_of_the_detected_format(
    admin_user, settings, tmp_path, django_capture_on_commit_callbacks
):
    from lineage.models import QueryLogSource

    settings.LEXICON_UPLOAD_DIR = tmp_path / "uploads"
    with django_capture_on_commit_callbacks(execute=True):
        response = token_client(admin_user).post(
            "/api/v1/ingest/querylog/",
            {"file": SimpleUploadedFile("qh.csv", _log_bytes(tmp_path)), "source": "new-snow"},
            format="multipart",
        )
    assert response.status_code == 202
    assert QueryLogSource.objects.get(name="new-snow").dialect == "snowflake"
    assert response.json()["query_log"]["format"] == "snowflake"


def test_an_upload_nobody_can_read_is_refused_at_once_with_the_reason(
    admin_user, settings, tmp_path
):
    settings.LEXICON_UPLOAD_DIR = tmp_path / "uploads"
    response = token_client(admin_user).post(
        "/api/v1/ingest/querylog/",
        {"file": SimpleUploadedFile("notes.csv", b"a,b,c\n1,2,3\n"), "source": "x"},
        format="multipart",
    )
    assert response.status_code == 400 and "notes.csv" in response.json()["detail"]
    assert not IngestRun.objects.exists()
    assert not any((tmp_path / "uploads").iterdir())
