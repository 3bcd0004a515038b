"""/favicon.ico answers, in development and with collected, hashed static files (DEBUG off)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings

STATIC = Path(settings.BASE_DIR) / "static"
ICO_MAGIC = b"\x00\x00\x01\x00"


def test_favicon_ico_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"
    assert (STATIC / "favicon.ico").read_bytes()[:4] == ICO_MAGIC


def test_pages_link_the_icon(client):
    page = client.get("/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert '<link rel="icon" href="/static/favicon.ico"' in page
    assert (STATIC / "favicon.svg").read_text().startswith("<svg ")


def test_favicon_ico_is_served_from_the_manifest_storage_production_uses(tmp_path):
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, STATIC_ROOT=tmp_path):
        # Only the icons are collected: this is about them (the scripts and stylesheets are
        # tested with the pages that use them).
        call_command(
            "collectstatic",
            "--noinput",
            "--ignore",
            "vendor",
            "--ignore",
            "*.js",
            "--ignore",
            "*.css",
            verbosity=0,
        )
        client = (
            Client()
        )  # whitenoise reads STATIC_ROOT when the first request builds the middleware
        redirect = client.get("/favicon.ico")
        assert redirect.status_code == 302
        location = redirect["Location"]
        assert location.startswith("/static/favicon.") and location.endswith(".ico")
        assert location != "/static/favicon.ico"  # the hashed name, cacheable forever
        served = client.get(location)
        assert served.status_code == 200
        assert b"".join(served.streaming_content)[:4] == ICO_MAGIC
