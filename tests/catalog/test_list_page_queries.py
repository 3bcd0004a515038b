"""The catalog's list pages make the same number of queries for 3 rows as for 30 (no N+1).

Each page is requested with a small and a larger data set (more projects, schemas, runs and
users too, where the page shows them) and the same exact count is asserted for both.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Asset, AssetChange, IngestRun, Project
from catalog.search import search_documents_sync

pytestmark = pytest.mark.django_db

SIZES = [3, 30]


def _projects(n: int, prefix: str) -> list[Project]:
    return [Project.objects.create(name=f"{prefix}{i}") for i in range(max(1, n // 3))]


def _assets(n: int, **fields) -> list[Asset]:
    projects = _projects(n, "assets")
    assets = [
        Asset.objects.create(
            project=projects[i % len(projects)],
            unique_id=f"model.p.t{i}",
            kind="model" if i % 2 else "source",
            name=f"t{i}",
            database="db",
            schema=f"s{i % 5}",
            identifier=f"t{i}",
            dbt_tier=1 + i % 3,
            **fields,
        )
        for i in range(n)
    ]
    search_documents_sync([a.pk for a in assets])
    return assets


def _runs(n: int) -> list[IngestRun]:
    now = timezone.now()
    projects = _projects(n, "runs")
    users = [get_user_model().objects.create_user(f"runner{i}", password="x") for i in range(n)]
    return [
        IngestRun.objects.create(
            project=projects[i % len(projects)],
            created_by=users[i],
            status=IngestRun.Status.SUCCEEDED,
            started_at=now - timedelta(minutes=i + 1),
            finished_at=now - timedelta(minutes=i),
            counts={"model": {"added": i, "changed": 1, "unchanged": 0, "removed": 0}},
        )
        for i in range(n)
    ]


def _count(client, url: str, expected: int, params=None) -> str:
    """The page, after asserting it made exactly ``expected`` queries. The session read is
    not counted: a cached session backend (the services run) saves it, the database one
    does not."""
    client.get(url, params)  # session and permission caches warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    queries = [q["sql"] for q in captured.captured_queries if '"django_session"' not in q["sql"]]
    assert len(queries) == expected, "\n".join(queries)
    return response.content.decode()


@pytest.mark.parametrize("n", SIZES)
def test_browse_page_query_count_is_flat(n, viewer_client):
    _assets(n)
    # count, the project/database/schema tree, the page of assets with projects
    html = _count(viewer_client, reverse("catalog:browse"), 3)
    assert html.count('<tr><td><a href="/assets/') == n
    filtered = _count(
        viewer_client,
        reverse("catalog:browse"),
        3,
        {"tier": "1", "kind": "source"},
    )
    assert filtered.count('<tr><td><a href="/assets/') == len(
        [i for i in range(n) if i % 3 == 0 and i % 2 == 0]
    )


@pytest.mark.parametrize("n", SIZES)
def test_recently_changed_page_query_count_is_flat(n, viewer_client):
    assets = _assets(n)
    runs = _runs(n)
    AssetChange.objects.bulk_create(
        AssetChange(asset=a, ingest_run=r, action="changed", fields=["description"])
        for a, r in zip(assets, runs, strict=True)
    )
    # count, the page of changes with their assets and projects
    html = _count(viewer_client, reverse("catalog:recent"), 2)
    assert html.count("<td>Changed</td>") == n


@pytest.mark.parametrize("n", SIZES)
def test_removed_page_query_count_is_flat(n, viewer_client):
    runs = _runs(n)
    for asset, run in zip(_assets(n), runs, strict=True):
        Asset.objects.filter(pk=asset.pk).update(removed_at=timezone.now(), removed_by_run=run)
    # count, the page of assets with projects
    html = _count(viewer_client, reverse("catalog:removed"), 2)
    assert html.count('<tr><td><a href="/assets/') == n


@pytest.mark.parametrize("n", SIZES)
def test_ingest_runs_page_query_count_is_flat(n, admin_client_lx):
    _runs(n)
    # count, the page of runs with projects and creators
    html = _count(admin_client_lx, reverse("catalog:ingest_runs"), 2)
    assert html.count('<tr><td><a href="/ingest/') == n
