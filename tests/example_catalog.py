"""The example project ingested once per test session, restored into each test that asks.

Ingesting examples/saas_analytics/target takes seconds (parsing, lineage, PII hooks); a
hundred tests need the catalog it leaves, not the act of ingesting. Once per session
(the ``_example_images`` fixture, on first use) the real ingest runs in a transaction
that is then rolled back, and every row it wrote is kept in memory. The ``example_catalog`` fixture
writes those rows back in one batch per table, so a test sees exactly the catalog an
ingest of the example writes, and its own transaction (or flush) removes it again.

Two images are kept, because a test's transaction decides what an ingest leaves:

* ``plain``: in a test run inside a rolled-back transaction (pytest's ``db``), the
  ingest's after-commit work never runs, so there is no column lineage yet;
* ``committed``: in a transactional test (``live_server``, ``transactional_db``) the
  ingest commits and its after-commit work (column lineage, run eagerly) runs too.

Tests whose subject is ingesting itself, or that set state or settings an ingest
reacts to before ingesting, still call ``ingest_ok`` and pay for a real ingest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.test import TestCase

Rows = dict[str, list[tuple[Any, ...]]]  # model label -> rows of its local concrete fields


@dataclass
class Snapshot:
    run_id: int
    plain: Rows = field(default_factory=dict)
    committed: Rows = field(default_factory=dict)


_snapshots: dict[str, Snapshot] = {}


def _sources() -> dict[str, list]:
    """Each image and the files its ingest reads."""
    from tests.factories import EXAMPLE_MANIFEST, EXAMPLE_TARGET

    return {"target": [EXAMPLE_TARGET], "manifest": [EXAMPLE_MANIFEST]}


class _Rollback(Exception):
    pass


def _models() -> list:
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]


def _fields(model) -> list:
    return list(model._meta.local_concrete_fields)


def _rows() -> dict[str, dict[Any, tuple[Any, ...]]]:
    out = {}
    for model in _models():
        fields = _fields(model)
        pk_index = fields.index(model._meta.pk) if model._meta.pk in fields else None
        rows = model._base_manager.order_by("pk").values_list(*[f.attname for f in fields])
        out[model._meta.label] = {
            (row[pk_index] if pk_index is not None else row): row for row in rows
        }
    return out


def _added(before: dict, after: dict) -> Rows:
    """Rows present after and not before; a row the ingest changed would be lost: refuse."""
    added: Rows = {}
    for label, rows in after.items():
        old = before.get(label, {})
        changed = [pk for pk, row in old.items() if rows.get(pk) != row]
        if changed:
            raise AssertionError(
                f"the example ingest changed or removed pre-existing {label} rows {changed[:5]}"
            )
        new = [row for pk, row in rows.items() if pk not in old]
        if new:
            added[label] = new
    return added


def build() -> dict[str, Snapshot]:
    """Ingest each image's files for real, record what it wrote, roll it all back.

    Tasks run in-process here as in the tests (tests/conftest.py makes them eager per
    test, which is after this session fixture): with a broker configured, the ingest's
    after-commit task would otherwise go to Redis and the committed image would lack it."""
    from django.test.utils import override_settings

    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
            for name, paths in _sources().items():
                _snapshots[name] = _build_one(paths)
    finally:
        app.conf.task_always_eager = previous
    _reserve_sqlite_ids(list(_snapshots.values()))
    return _snapshots


def _build_one(paths) -> Snapshot:
    from tests.factories import ingest_ok

    before = _rows()
    snap: Snapshot | None = None
    try:
        with transaction.atomic():
            with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
                run = ingest_ok(*paths)
            snap = Snapshot(run_id=run.pk, plain=_added(before, _rows()))
            # What a committed ingest does next: its after-commit work, run eagerly here.
            while callbacks:
                pending = list(callbacks)
                callbacks.clear()
                with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
                    for callback in pending:
                        callback()
            snap.committed = _added(before, _rows())
            raise _Rollback
    except _Rollback:
        pass
    assert snap is not None
    return snap


def _reserve_sqlite_ids(snaps: list[Snapshot]) -> None:
    """SQLite rolls its AUTOINCREMENT counters back with the transaction: move them past the
    snapshot's ids, so rows a test makes before restoring it never take one of them.
    (PostgreSQL sequences are not transactional: the ingest already moved them.)"""
    if connection.vendor != "sqlite":
        return
    tops: dict[str, int] = {}
    for snap in snaps:
        for label, rows in snap.committed.items():
            model = apps.get_model(label)
            fields = _fields(model)
            if model._meta.pk not in fields or not model._meta.pk.get_internal_type().endswith(
                "AutoField"
            ):
                continue
            tops[label] = max(
                tops.get(label, 0), *(row[fields.index(model._meta.pk)] for row in rows)
            )
    with connection.cursor() as cursor:
        for label, top in tops.items():
            model = apps.get_model(label)
            table = model._meta.db_table
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [top, table]
            )
            if cursor.rowcount == 0:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, top]
                )


def restore(name: str = "target", *, committed: bool):
    """Write an image's rows into the current database; returns its IngestRun.

    ``target``: examples/saas_analytics/target (manifest, catalog, run results, sources);
    ``manifest``: its manifest.json alone."""
    from django.core.management.color import no_style

    from catalog.models import IngestRun

    if name not in _snapshots:
        raise RuntimeError(
            f"the example image {name!r} was not built: request the example_catalog fixture"
        )
    snapshot = _snapshots[name]
    image = snapshot.committed if committed else snapshot.plain
    models = []
    with transaction.atomic():
        for label, rows in image.items():
            model = apps.get_model(label)
            fields = _fields(model)
            names = [f.attname for f in fields]
            objs = [model(**dict(zip(names, row, strict=True))) for row in rows]
            batch = max(1, connection.ops.bulk_batch_size(fields, objs) or len(objs))
            for start in range(0, len(objs), batch):
                # raw=True: every value as recorded (no auto_now, no signals), like loaddata.
                model._base_manager._insert(
                    objs[start : start + batch], fields=fields, raw=True, using=connection.alias
                )
            models.append(model)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(sql)
    return IngestRun.objects.get(pk=snapshot.run_id)
