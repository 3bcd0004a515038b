"""Which real services this test run has, and how a test demands one.

On a bare machine a test that needs PostgreSQL, Redis or Chromium is skipped with the
reason. In CI (``CI=true``) the same test fails instead, so a missing service can never
turn a red run green.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true and a required service is missing: {reason}", pytrace=False)
    pytest.skip(reason)


def uses_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def redis_url() -> str | None:
    return settings.REDIS_URL


def _port_open(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1
        ):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    if not uses_postgres():
        _missing("needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/lexicon")


def require_redis() -> str:
    url = redis_url()
    if not url:
        _missing("needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
    elif not _port_open(url, 6379):
        _missing(f"Redis at {url} does not answer")
    return url  # type: ignore[return-value]


def require_chromium() -> str:
    if not (os.path.exists(CHROMIUM_PATH) or shutil.which("chromium")):
        _missing(f"needs Debian's Chromium at {CHROMIUM_PATH} (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        _missing("needs the playwright package (pip install -e .[dev])")
    return CHROMIUM_PATH


def database_url() -> str:
    """The URL of the test database, for a worker process started by a test."""
    from django.db import connection

    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}:{port}/{db['NAME']}"
