from __future__ import annotations

import contextlib

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from lexicon_core.roles import ADMIN, ANALYST, GOVERNANCE_REVIEWER, METRIC_OWNER, VIEWER

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_eager_unless_real_worker(request, settings):
    """Tasks run in-process, except in tests that start a real worker."""
    from config.celery import app

    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _empty_cache(request):
    """Each test starts with an empty cache (ingest progress, worker heartbeat, ...): the
    database is rolled back or flushed between tests, and the cache must not outlive it.
    Not under a real worker, whose broker may share the Redis database."""
    if request.node.get_closest_marker("celery_worker"):
        return
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisDown

    with contextlib.suppress(RedisDown):  # a test that needs Redis says so (tests/services.py)
        cache.clear()


def _make_user(username: str, role: str | None):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.com"
    )
    if role:
        # get_or_create: transactional tests flush the groups the data migration made.
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def viewer(db):
    return _make_user("vera", VIEWER)


@pytest.fixture
def analyst(db):
    return _make_user("andy", ANALYST)


@pytest.fixture
def metric_owner(db):
    return _make_user("olivia", METRIC_OWNER)


@pytest.fixture
def reviewer(db):
    return _make_user("grace", GOVERNANCE_REVIEWER)


@pytest.fixture
def admin_user(db):
    return _make_user("ada", ADMIN)


@pytest.fixture
def outsider(db):
    """Signed in, but holds no role."""
    return _make_user("otto", None)


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def admin_client_lx(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture(scope="session")
def _example_images(django_db_setup, django_db_blocker):
    """The example project ingested once per session, on first use, into the clean test
    database and rolled back; tests/example_catalog.py keeps the rows it wrote. A session
    fixture is set up before any test's transaction and function fixtures (users), so
    nothing a test made can leak into the images."""
    from tests import example_catalog

    with django_db_blocker.unblock():
        example_catalog.build()


@pytest.fixture
def example_catalog(_example_images, db, django_db_blocker):
    """The catalog an ingest of examples/saas_analytics/target leaves; returns its IngestRun.

    In a transactional test (live server) it is the committed ingest's catalog, with the
    column lineage its after-commit task writes; otherwise the catalog inside the test's
    transaction, where after-commit work never runs (as with ``ingest_ok`` there).
    """
    from django.db import connection

    from tests import example_catalog

    with django_db_blocker.unblock():
        return example_catalog.restore("target", committed=not connection.in_atomic_block)


@pytest.fixture
def example_manifest_catalog(_example_images, db, django_db_blocker):
    """The same for an ingest of the example's manifest.json alone (no catalog.json, run
    results or source freshness); returns its IngestRun."""
    from django.db import connection

    from tests import example_catalog

    with django_db_blocker.unblock():
        return example_catalog.restore("manifest", committed=not connection.in_atomic_block)


def pytest_sessionfinish(session):
    """Django deletes the SQLite test database file; a connection a server thread still held
    can leave its WAL files behind in the temporary directory: remove them too."""
    from pathlib import Path

    from django.conf import settings

    if not settings.configured:
        return
    database = settings.DATABASES["default"]
    name = database.get("TEST", {}).get("NAME")
    if database["ENGINE"] == "django.db.backends.sqlite3" and name and not Path(name).exists():
        for suffix in ("-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
