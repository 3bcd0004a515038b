"""/healthz in the distributed mode: the worker counts as up only while beat's heartbeat is
fresh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from config import health
from config.celery import app as celery_app
from config.tasks import HEARTBEAT_CACHE_KEY, heartbeat


@pytest.fixture
def distributed(settings, monkeypatch):
    """Broker up and one worker answering pings; only the heartbeat varies."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.LEXICON_HEARTBEAT_STALE_SECONDS = 180
    monkeypatch.setattr(health, "check_broker", lambda: "ok")
    monkeypatch.setattr(
        celery_app.control, "ping", lambda timeout: [{"ingest@host": {"ok": "pong"}}]
    )
    cache.delete(HEARTBEAT_CACHE_KEY)
    yield
    cache.delete(HEARTBEAT_CACHE_KEY)


def _beat(seconds_ago: int) -> None:
    cache.set(HEARTBEAT_CACHE_KEY, (timezone.now() - timedelta(seconds=seconds_ago)).isoformat())


@pytest.mark.django_db
def test_a_fresh_heartbeat_keeps_the_worker_ok(client, distributed):
    _beat(40)
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["worker"] == "ok"
    assert 40 <= body["heartbeat_age_seconds"] < 45


@pytest.mark.django_db
def test_an_old_heartbeat_is_a_down_worker_with_its_age(client, distributed):
    _beat(600)
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert 600 <= body["heartbeat_age_seconds"] < 605
    assert body["worker"].startswith("down: last heartbeat 60")
    assert "stale after 180 s" in body["worker"]


@pytest.mark.django_db
def test_the_stale_age_is_a_setting(client, distributed, settings):
    _beat(200)
    assert client.get("/healthz").status_code == 503
    settings.LEXICON_HEARTBEAT_STALE_SECONDS = 300
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_a_heartbeat_never_seen_is_a_down_worker(client, distributed):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["last_heartbeat"] is None and body["heartbeat_age_seconds"] is None
    assert body["worker"] == (
        "down: no heartbeat recorded yet (is celery beat running, with a worker on the "
        "default queue?)"
    )


@pytest.mark.django_db
def test_the_heartbeat_task_makes_the_worker_ok_again(client, distributed):
    _beat(3600)
    assert client.get("/healthz").status_code == 503
    heartbeat.apply()
    body = client.get("/healthz").json()
    assert body["worker"] == "ok"
    assert body["heartbeat_age_seconds"] <= 2


@pytest.mark.django_db
def test_no_worker_answering_is_named_before_the_heartbeat(client, distributed, monkeypatch):
    _beat(10)
    monkeypatch.setattr(celery_app.control, "ping", lambda timeout: [])
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == "down: no worker answered"


@pytest.mark.django_db
def test_the_embedded_mode_needs_no_heartbeat(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    cache.delete(HEARTBEAT_CACHE_KEY)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["worker"] == "eager (tasks run in-process)"
