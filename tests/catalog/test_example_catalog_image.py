"""The example catalog that most tests start from is what an ingest of the example writes.

tests/example_catalog.py ingests examples/saas_analytics/target once per session and
restores the rows it wrote into each test that asks for ``example_catalog``. Here a real
ingest in this test and the restored image are compared row by row (ids and times aside),
so the shortcut can never drift from what ``ingest_ok(EXAMPLE_TARGET)`` does.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.apps import apps
from django.db import models, transaction

from catalog.models import IngestRun
from tests import example_catalog as image
from tests.factories import EXAMPLE_MANIFEST, EXAMPLE_TARGET, ingest_ok

pytestmark = pytest.mark.django_db


# A digest of the imported dbt definition, which names the related assets by id.
ID_DIGESTS = {"metrics_dictionary.MetricVersion.dbt_digest"}


def _compared(field) -> bool:
    """Ids differ between two ingests and so do the clocks; everything else must match."""
    if (
        field.primary_key
        or field.is_relation
        or f"{field.model._meta.label}.{field.name}" in ID_DIGESTS
    ):
        return False
    return not isinstance(field, models.DateTimeField)


def _masked(model, field, value) -> str:
    """Ids are written into text and JSON too (the audit log's object ids, a version's asset
    map): digits there are masked; other columns are compared as they are."""
    text = repr(value)
    if isinstance(field, models.JSONField) or model._meta.label == "governance.AuditEvent":
        return re.sub(r"\d+", "#", text)
    return text


def _catalog() -> dict[str, Counter]:
    out = {}
    for model in apps.get_models(include_auto_created=True):
        if model is IngestRun or not model._meta.managed or model._meta.proxy:
            continue
        fields = [f for f in model._meta.local_concrete_fields if _compared(f)]
        if fields:
            rows = Counter(
                tuple(_masked(model, f, v) for f, v in zip(fields, row, strict=True))
                for row in model._base_manager.values_list(*[f.attname for f in fields])
            )
        else:  # a link table: ids only
            rows = Counter(
                {"rows": model._base_manager.count()} if model._base_manager.exists() else {}
            )
        if rows:
            out[model._meta.label] = rows
    return out


class _Undo(Exception):
    pass


@pytest.mark.parametrize(
    ("image_name", "paths"), [("target", [EXAMPLE_TARGET]), ("manifest", [EXAMPLE_MANIFEST])]
)
def test_the_restored_example_catalog_equals_a_fresh_ingest_of_the_example(
    _example_images, db, image_name, paths
):
    try:
        with transaction.atomic():
            run = image.restore(image_name, committed=False)
            restored, restored_counts = _catalog(), run.counts
            raise _Undo
    except _Undo:
        pass
    assert not IngestRun.objects.exists()
    fresh = ingest_ok(*paths)
    assert fresh.counts == restored_counts
    real = _catalog()
    assert set(real) == set(restored)
    for label in real:
        assert real[label] == restored[label], (
            label,
            sorted(real[label] - restored[label])[:1],
            sorted(restored[label] - real[label])[:1],
        )


def test_the_committed_image_has_the_column_lineage_its_after_commit_task_writes(
    _example_images, db
):
    """What a live-server test starts from: the ingest committed, so its after-commit task
    (column lineage, run in-process as every task in the tests) has run too."""
    from lineage.models import ColumnEdge

    run = image.restore("target", committed=True)
    assert run.followups["column_lineage"]["parsed"] > 0
    assert ColumnEdge.objects.filter(
        downstream__asset__name="dim_users", downstream__name_key="email"
    ).exists()
