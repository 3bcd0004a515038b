"""A real Celery worker on Redis runs an ingest against the real PostgreSQL test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Asset, IngestRun
from config.celery import app as celery_app
from tests.factories import EXAMPLE_TARGET, token_client
from tests.services import database_url as services_database_url
from tests.services import require_postgres, require_redis

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def worker(transactional_db, tmp_path, settings):
    require_postgres()
    redis_url = require_redis()
    database_url = services_database_url()
    settings.LEXICON_UPLOAD_DIR = tmp_path / "uploads"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "worker-test-only",
        "DEBUG": "false",
        "LEXICON_UPLOAD_DIR": str(settings.LEXICON_UPLOAD_DIR),
    }
    log = (tmp_path / "worker.log").open("w+")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "default,ingest",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "--hostname",
            f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"celery worker exited early:\n{log.read()}")
            if celery_app.control.ping(timeout=0.5):
                break
        else:
            log.seek(0)
            pytest.fail(f"celery worker did not answer within 60s:\n{log.read()}")
        yield proc
    finally:
        celery_app.conf.task_always_eager = previous
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_a_real_worker_ingests_uploaded_artifacts(worker, admin_user, client):
    client_api = token_client(admin_user)
    files = {
        k: SimpleUploadedFile(f"{k}.json", (EXAMPLE_TARGET / f"{k}.json").read_bytes())
        for k in ("manifest", "catalog", "run_results", "sources")
    }
    response = client_api.post("/api/v1/ingest/dbt/", files, format="multipart")
    assert response.status_code == 202
    run_id = response.json()["id"]
    deadline = time.monotonic() + 90
    run = IngestRun.objects.get(pk=run_id)
    while time.monotonic() < deadline and not run.is_finished:
        time.sleep(0.5)
        run.refresh_from_db()
    assert run.status == IngestRun.Status.SUCCEEDED, run.error or f"still {run.status} after 90s"
    assert Asset.objects.filter(project__name="saas_analytics", kind="model").count() > 10
    # A second delivery of the same task finds the run claimed and changes nothing.
    from catalog.tasks import ingest_dbt_run

    assert ingest_dbt_run.delay(run_id).get(timeout=30) == "succeeded"


def test_healthz_reports_every_part_ok_with_a_worker(worker, client):
    from django.core.cache import cache

    from config.tasks import HEARTBEAT_CACHE_KEY, heartbeat

    cache.delete(HEARTBEAT_CACHE_KEY)
    # No beat here: until a worker has run the heartbeat task, the worker counts as down.
    assert "no heartbeat recorded yet" in client.get("/healthz").json()["worker"]
    heartbeat.delay().get(timeout=30)  # what beat sends every minute
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert (body["database"], body["broker"], body["worker"]) == ("ok", "ok", "ok")
    assert body["mode"] == "distributed"
    assert settings.REDIS_URL


def _ingest_on_the_worker(client_api, manifest: bytes) -> IngestRun:
    files = {"manifest": SimpleUploadedFile("manifest.json", manifest)}
    response = client_api.post("/api/v1/ingest/dbt/", files, format="multipart")
    assert response.status_code == 202, response.content
    run = IngestRun.objects.get(pk=response.json()["id"])
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not run.is_finished:
        time.sleep(0.5)
        run.refresh_from_db()
    assert run.status == IngestRun.Status.SUCCEEDED, run.error or f"still {run.status} after 90s"
    return run


def test_a_fragment_cached_by_the_web_process_shows_what_a_worker_wrote(worker, admin_user, client):
    """The worker's commit moves the catalog generation on in the shared cache, so the page
    process never serves the fragment it rendered before the worker's ingest."""
    import json

    client_api = token_client(admin_user)
    manifest = json.loads((EXAMPLE_TARGET / "manifest.json").read_text())
    _ingest_on_the_worker(client_api, json.dumps(manifest).encode())
    asset = Asset.objects.get(project__name="saas_analytics", name="dim_users", kind="model")
    client.force_login(admin_user)
    url = f"/governance/assets/{asset.pk}/description/"
    before = client.get(url).content.decode()
    assert client.get(url).content.decode() == before  # served from the cache

    manifest["nodes"][asset.unique_id]["description"] = "Rewritten by the second ingest."
    _ingest_on_the_worker(client_api, json.dumps(manifest).encode())
    assert "Rewritten by the second ingest." in client.get(url).content.decode()
