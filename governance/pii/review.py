"""Reviewers' decisions on suggestions: confirm or reject them, one or many at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.models import Column
from governance.models import ColumnClassification
from governance.pii.sync import pii_propagation_sync
from governance.selectors import chunked

Origin = ColumnClassification.Origin
Status = ColumnClassification.Status


def _project_ids_of(column_ids: Iterable[int]) -> list[int]:
    projects: set[int] = set()
    for chunk in chunked(column_ids):
        projects |= set(
            Column.objects.filter(pk__in=chunk).values_list("asset__project_id", flat=True)
        )
    return sorted(projects)


class ReviewError(ValueError):
    """A review action that cannot be applied; the message says why."""


def _snapshot(row: ColumnClassification) -> dict[str, Any]:
    return {
        "category": row.category,
        "origin": row.origin,
        "status": row.status,
        "sensitivity": row.sensitivity,
        "source_column": row.source_column_id,
    }


@transaction.atomic
def column_classifications_review(
    *, classification_ids: Iterable[int], decision: str, actor
) -> list[ColumnClassification]:
    """Confirm or reject suggestions (one or many); then propagate.

    A decision is about a column and a category, so open suggestions of the same category
    on the same column from other origins (dbt meta and a heuristic often agree) are
    decided with it. One audit event per column and category.
    """
    from governance.services import audit_record

    status = {"confirm": Status.CONFIRMED, "reject": Status.REJECTED}.get(decision)
    if status is None:
        raise ReviewError(f"Unknown decision {decision!r}: use confirm or reject.")
    ids = sorted({int(i) for i in classification_ids})
    if not ids:
        raise ReviewError("Select at least one classification.")
    chosen: dict[int, tuple[int, str]] = {}
    for chunk in chunked(ids):
        chosen.update(
            (pk, (col, cat))
            for pk, col, cat in ColumnClassification.objects.filter(pk__in=chunk).values_list(
                "pk", "column_id", "category"
            )
        )
    missing = set(ids) - set(chosen)
    if missing:
        raise ReviewError(
            f"No classification with id {', '.join(map(str, sorted(missing)[:20]))}"
            f"{' …' if len(missing) > 20 else ''}."
        )
    pairs = set(chosen.values())
    rows: list[ColumnClassification] = []
    for chunk in chunked({col for col, _cat in pairs}):
        rows += [
            r
            for r in ColumnClassification.objects.select_for_update()
            .filter(column__in=chunk)
            .select_related("column__asset")
            .order_by("column_id", "category", "pk")
            if r.pk in chosen
            or (
                (r.column_id, r.category) in pairs
                and r.status == Status.SUGGESTED
                and r.origin != Origin.PERSON
            )
        ]
    now = timezone.now()
    groups: dict[tuple[int, str], list[ColumnClassification]] = defaultdict(list)
    for row in rows:
        if row.status == status and row.decided_by_id is not None:
            continue
        groups[(row.column_id, row.category)].append(row)
    changed = [r for group in groups.values() for r in group]
    for chunk in chunked(r.pk for r in changed):
        ColumnClassification.objects.filter(pk__in=chunk).update(
            status=status, decided_by=actor, decided_at=now
        )
    for group in groups.values():
        before = [_snapshot(r) for r in group]
        for row in group:
            row.status, row.decided_by, row.decided_at = status, actor, now
        audit_record(
            actor=actor,
            action=f"column.classification_{decision}",
            obj=group[0].column,
            before={"category": group[0].category, "classifications": before},
            after={
                "category": group[0].category,
                "status": status,
                "origins": [r.origin for r in group],
            },
        )
    if groups:
        pii_propagation_sync(project_ids=_project_ids_of(column_id for column_id, _c in groups))
    return changed
