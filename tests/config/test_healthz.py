import pytest

from config.celery import app as celery_app


@pytest.mark.django_db
def test_healthz_is_ok_in_the_embedded_mode(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["mode"] == "embedded"


@pytest.mark.django_db
def test_healthz_names_the_broker_when_it_is_down(client, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"] == "ok"
    assert body["broker"].startswith("down")
    assert body["worker"].startswith("unknown")


@pytest.mark.django_db
def test_healthz_needs_no_login_and_leaks_no_data(client):
    response = client.get("/healthz")
    assert set(response.json()) == {
        "status",
        "database",
        "broker",
        "worker",
        "mode",
        "last_heartbeat",
        "heartbeat_age_seconds",
    }
