"""Concurrent first ingests of one project: one creates it, the others wait for it; none crash."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from catalog.models import Asset, Column, DataTest, IngestRun, Project
from tests.factories import EXAMPLE_TARGET, ingest, ingest_ok
from tests.services import require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _counts(name: str) -> dict[str, int]:
    return {
        "assets": Asset.objects.filter(project__name=name, removed_at__isnull=True).count(),
        "columns": Column.objects.filter(
            asset__project__name=name, removed_at__isnull=True
        ).count(),
        "tests": DataTest.objects.filter(project__name=name, removed_at__isnull=True).count(),
    }


def test_four_first_ingests_of_a_new_project_at_once_all_succeed(settings):
    require_postgres()
    # Not under test; keeps four threads from forking.
    settings.LEXICON_COLUMN_LINEAGE_AFTER_INGEST = False
    start = threading.Barrier(4)
    runs: list[IngestRun] = []
    errors: list[BaseException] = []

    def first_ingest() -> None:
        try:
            start.wait(timeout=30)
            runs.append(ingest(EXAMPLE_TARGET, project="born-concurrently"))
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=first_ingest) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert errors == []
    assert [(r.status, r.error) for r in runs] == [(IngestRun.Status.SUCCEEDED, "")] * 4
    assert Project.objects.filter(name="born-concurrently").count() == 1
    assert {r.project_id for r in runs} == {Project.objects.get(name="born-concurrently").pk}

    ingest_ok(EXAMPLE_TARGET, project="born-alone")
    alone = _counts("born-alone")
    assert alone["assets"] > 10
    assert _counts("born-concurrently") == alone
    # One run created everything; the three that waited found it all in place.
    added = sorted(r.totals()["added"] for r in runs)
    assert added[:3] == [0, 0, 0] and added[3] > 0
