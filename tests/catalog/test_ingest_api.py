"""POST /api/v1/ingest/dbt/ — what a CI pipeline calls after `dbt build`."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalog.models import Asset, IngestRun
from tests.factories import EXAMPLE_TARGET, token_client

pytestmark = pytest.mark.django_db


def _files(*kinds: str) -> dict:
    return {
        k: SimpleUploadedFile(f"{k}.json", (EXAMPLE_TARGET / f"{k}.json").read_bytes())
        for k in kinds
    }


def test_an_admin_token_uploads_artifacts_and_gets_the_run(
    admin_user, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.LEXICON_UPLOAD_DIR = tmp_path
    client = token_client(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/ingest/dbt/",
            _files("manifest", "catalog", "run_results", "sources"),
            format="multipart",
        )
    assert response.json()["status"] == "queued"  # answered before the worker ran
    response = client.get(f"/api/v1/ingest/runs/{response.json()['id']}/")
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["url"].endswith(f"/ingest/{body['id']}/")
    assert all("path" not in f for f in body["files"])
    assert Asset.objects.filter(project__name="saas_analytics", kind="model").exists()
    assert not any(tmp_path.iterdir()), "uploaded files are removed after the run"
    status = client.get(f"/api/v1/ingest/runs/{body['id']}/").json()
    assert status["status"] == "succeeded" and status["progress"] == 100
    assert status["counts"]["model"]["added"] > 0


def test_a_bad_upload_is_a_failed_run_with_the_reason(
    admin_user, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.LEXICON_UPLOAD_DIR = tmp_path
    broken = SimpleUploadedFile(
        "manifest.json", b'{"metadata": {"dbt_schema_version": "x"}, "nodes": {'
    )
    client = token_client(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/ingest/dbt/", {"manifest": broken}, format="multipart")
    assert response.status_code == 202
    assert response["Location"] == response.json()["api_url"]
    body = client.get(response["Location"]).json()
    assert body["status"] == "failed"
    assert "manifest.json: is not complete JSON" in body["error"]


def test_the_manifest_is_required(admin_user):
    response = token_client(admin_user).post(
        "/api/v1/ingest/dbt/", _files("catalog"), format="multipart"
    )
    assert response.status_code == 400
    assert "manifest" in response.json()


def test_an_oversized_upload_is_refused_before_it_is_stored(admin_user, settings, tmp_path):
    settings.LEXICON_UPLOAD_DIR = tmp_path
    settings.LEXICON_MAX_ARTIFACT_BYTES = 2048
    response = token_client(admin_user).post(
        "/api/v1/ingest/dbt/", _files("manifest"), format="multipart"
    )
    assert response.status_code == 400
    assert "over the limit of 2,048" in response.json()["detail"]
    assert IngestRun.objects.count() == 0


@pytest.mark.parametrize("role", ["viewer", "analyst", "reviewer", "outsider"])
def test_only_admins_may_ingest(role, request):
    user = request.getfixturevalue(role)
    response = token_client(user).post(
        "/api/v1/ingest/dbt/", _files("manifest"), format="multipart"
    )
    assert response.status_code == 403
    assert IngestRun.objects.count() == 0


def test_anonymous_callers_are_refused():
    assert APIClient().post(
        "/api/v1/ingest/dbt/", _files("manifest"), format="multipart"
    ).status_code in (401, 403)


def test_run_status_needs_a_role(outsider, viewer):
    run = IngestRun.objects.create()
    assert token_client(outsider).get(f"/api/v1/ingest/runs/{run.pk}/").status_code == 403
    assert token_client(viewer).get(f"/api/v1/ingest/runs/{run.pk}/").json()["status"] == "queued"


def test_an_admin_uploads_from_the_ingest_runs_page(
    client, admin_user, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.LEXICON_UPLOAD_DIR = tmp_path
    client.force_login(admin_user)
    page = client.get("/ingest/").content.decode()
    assert "Upload dbt artifacts" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/ingest/upload/", _files("manifest", "catalog"), follow=True)
    run = IngestRun.objects.get()
    assert response.redirect_chain[-1][0] == f"/ingest/{run.pk}/"
    assert run.status == "succeeded" and run.trigger == "ui" and run.created_by == admin_user


def test_a_viewer_sees_no_upload_form_and_cannot_post(viewer_client):
    assert "Upload dbt artifacts" not in viewer_client.get("/ingest/").content.decode()
    assert viewer_client.post("/ingest/upload/", _files("manifest")).status_code == 403


def test_an_upload_error_is_shown_on_the_page(client, admin_user, settings, tmp_path):
    settings.LEXICON_UPLOAD_DIR = tmp_path
    settings.LEXICON_MAX_ARTIFACT_BYTES = 2048
    client.force_login(admin_user)
    response = client.post("/ingest/upload/", _files("manifest"))
    assert response.status_code == 400
    assert "over the limit" in response.content.decode()


def test_a_run_pauses_the_cycle_collector_and_always_turns_it_back_on():
    import gc

    from catalog.dbt.artifacts import ArtifactError
    from catalog.services import ingest_run_guarded

    seen = []

    def work(run, report):
        seen.append(gc.isenabled())

    def failing(run, report):
        seen.append(gc.isenabled())
        raise ArtifactError("manifest.json", "truncated at byte 12")

    def crashing(run, report):
        raise RuntimeError("boom")

    assert gc.isenabled()
    ok = ingest_run_guarded(
        run_id=IngestRun.objects.create().pk, work=work, expected=(ArtifactError,), phase="x"
    )
    failed = ingest_run_guarded(
        run_id=IngestRun.objects.create().pk, work=failing, expected=(ArtifactError,), phase="x"
    )
    with pytest.raises(RuntimeError):
        ingest_run_guarded(
            run_id=IngestRun.objects.create().pk,
            work=crashing,
            expected=(ArtifactError,),
            phase="x",
        )
    assert seen == [False, False]  # paused while the run works
    assert gc.isenabled()  # and back on after success, bad input and a crash
    assert failed.status == "failed" and "truncated at byte 12" in failed.error
    assert ok.status != "failed"
