"""Machine-made suggestions kept in step with dbt, the rules and column lineage: the ingest
hook, the suggestions sync and PII propagation (see ``governance.pii``)."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from catalog.models import Column
from governance.models import ColumnClassification, PiiCategory
from governance.pii.rules import suggest_for
from governance.selectors import chunked

Origin = ColumnClassification.Origin
Status = ColumnClassification.Status
Sensitivity = ColumnClassification.Sensitivity


# ------------------------------------------------------------------- suggestions from ingest


def _delete(ids: list[int]) -> int:
    return sum(
        ColumnClassification.objects.filter(pk__in=chunk).delete()[0] for chunk in chunked(ids)
    )


def _decided_categories(asset_ids: list[int]) -> tuple[dict[int, set[str]], set[int]]:
    """Categories a person decided per column of these assets, and the columns a person
    classified directly."""
    decided: dict[int, set[str]] = defaultdict(set)
    person: set[int] = set()
    for column_id, category, origin in (
        ColumnClassification.objects.filter(column__asset__in=asset_ids)
        .exclude(status=Status.SUGGESTED, decided_by__isnull=True)
        .values_list("column_id", "category", "origin")
    ):
        decided[column_id].add(category)
        if origin == Origin.PERSON:
            person.add(column_id)
    return decided, person


@dataclass
class SyncResult:
    created: int = 0
    withdrawn: int = 0
    updated: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "withdrawn": self.withdrawn, "updated": self.updated}


def pii_suggestions_sync(*, asset_ids: Iterable[int]) -> SyncResult:
    """Make the dbt-meta and heuristic suggestions of these assets' columns match what dbt
    and the rules say now. Decided rows are never touched; running it twice changes nothing."""
    result = SyncResult()
    for chunk in chunked(asset_ids, 500):
        part = _suggestions_sync_chunk(chunk)
        result.created += part.created
        result.withdrawn += part.withdrawn
    return result


def _suggestions_sync_chunk(asset_ids: list[int]) -> SyncResult:
    result = SyncResult()
    columns = list(
        Column.objects.filter(asset__in=asset_ids, removed_at__isnull=True).only(
            "id", "name", "data_type", "dbt_pii"
        )
    )
    if not columns:
        return result
    wanted: dict[tuple[int, str, str], str] = {}  # (column, origin, category) -> sensitivity
    for column in columns:
        match = suggest_for(column.name, column.data_type)
        if match is not None:
            wanted[(column.pk, Origin.HEURISTIC, match.category)] = match.sensitivity
        if column.dbt_pii:
            category = match.category if match else PiiCategory.OTHER
            sensitivity = match.sensitivity if match else Sensitivity.HIGH
            wanted[(column.pk, Origin.DBT, category)] = sensitivity
    decided, person = _decided_categories(asset_ids)
    existing = {
        (r.column_id, r.origin, r.category): r
        for r in ColumnClassification.objects.filter(
            column__asset__in=asset_ids, origin__in=[Origin.HEURISTIC, Origin.DBT]
        )
    }
    stale = [
        r.pk for key, r in existing.items() if key not in wanted and r.status == Status.SUGGESTED
    ]
    if stale:
        result.withdrawn = _delete(stale)
    new = [
        ColumnClassification(
            column_id=col, origin=origin, category=category, sensitivity=sensitivity
        )
        for (col, origin, category), sensitivity in wanted.items()
        if (col, origin, category) not in existing
        and category not in decided.get(col, ())
        and col not in person
    ]
    ColumnClassification.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    result.created = len(new)
    return result


def pii_after_ingest(outcome) -> None:
    """Post-ingest hook (registered in ``GovernanceConfig.ready``): suggestions for changed
    assets, then propagation again (a removed source withdraws what it caused)."""
    changed = outcome.added_ids | outcome.changed_ids
    if changed:
        pii_suggestions_sync(asset_ids=changed)
    if changed or outcome.removed_ids:
        pii_propagation_sync(project_ids=[outcome.project.pk])
        # Column lineage is rebuilt after the commit (a task queued by an earlier hook); run
        # propagation again then, so new edges carry confirmed PII. Where tasks run in-process
        # this follows the lineage build; with workers it may race it, and the daily
        # scorecard task (or the next decision) catches up.
        from django.db import transaction as tx

        from governance.tasks import pii_propagation_refresh

        project_id = outcome.project.pk
        tx.on_commit(lambda: pii_propagation_refresh.delay(project_id))


# ---------------------------------------------------------------------------- propagation


def propagate_kinds() -> tuple[str, ...]:
    return tuple(getattr(settings, "LEXICON_PII_PROPAGATE_KINDS", ("copy", "transform")))


def downstream_closure(
    start: int, edges: dict[int, list[int]], stop: set[int] = frozenset()
) -> list[int]:
    """Every column reachable from ``start`` along ``edges``, not passing through ``stop``."""
    seen = {start}
    order: list[int] = []
    queue = deque([start])
    while queue:
        current = queue.popleft()
        for nxt in edges.get(current, ()):
            if nxt in seen or nxt in stop:
                continue
            seen.add(nxt)
            order.append(nxt)
            queue.append(nxt)
    return order


def pii_propagation_sync(*, project_ids: Iterable[int]) -> SyncResult:
    """Make the lineage suggestions of these projects' columns equal to what the confirmed
    PII columns imply now. Decided lineage rows stay as people left them."""
    from lineage.models import ColumnEdge

    project_ids = list(project_ids)
    result = SyncResult()
    edges: dict[int, list[int]] = defaultdict(list)
    for up, down in ColumnEdge.objects.filter(
        project__in=project_ids, kind__in=propagate_kinds(), downstream__removed_at__isnull=True
    ).values_list("upstream_id", "downstream_id"):
        edges[up].append(down)
    # Columns of these projects, and upstream columns of their edges in other projects.
    in_projects = Q(column__asset__project__in=project_ids) | Q(
        column__in=ColumnEdge.objects.filter(project__in=project_ids).values("upstream_id")
    )
    rows = list(
        ColumnClassification.objects.filter(in_projects)
        .filter(column__removed_at__isnull=True)
        .exclude(status=Status.SUGGESTED)
        .values_list("column_id", "category", "origin", "status", "sensitivity")
    )
    # Columns a person says are not PII: no suggestion on them, and propagation stops there.
    stop = {
        col
        for col, cat, origin, status, _s in rows
        if origin == Origin.PERSON and (status == Status.REJECTED or cat == PiiCategory.NONE)
    }
    decided: dict[int, set[str]] = defaultdict(set)
    sources: dict[tuple[int, str], str] = {}
    for col, cat, _origin, status, sensitivity in rows:
        decided[col].add(cat)
        if status == Status.CONFIRMED and cat != PiiCategory.NONE:
            sources[(col, cat)] = sensitivity
    wanted: dict[
        tuple[int, str], tuple[int, str]
    ] = {}  # (column, category) -> (source, sensitivity)
    for (source, category), sensitivity in sorted(sources.items()):
        for col in downstream_closure(source, edges, stop):
            if category in decided.get(col, ()):
                continue
            wanted.setdefault((col, category), (source, sensitivity))
    existing = {
        (r.column_id, r.category): r
        for r in ColumnClassification.objects.filter(in_projects).filter(origin=Origin.LINEAGE)
    }
    stale = [
        r.pk for key, r in existing.items() if r.status == Status.SUGGESTED and key not in wanted
    ]
    if stale:
        result.withdrawn = _delete(stale)
    for key, row in existing.items():
        if (
            key in wanted
            and row.status == Status.SUGGESTED
            and row.source_column_id != wanted[key][0]
        ):
            ColumnClassification.objects.filter(pk=row.pk).update(
                source_column_id=wanted[key][0], sensitivity=wanted[key][1]
            )
            result.updated += 1
    new = [
        ColumnClassification(
            column_id=col,
            category=cat,
            origin=Origin.LINEAGE,
            source_column_id=source,
            sensitivity=sensitivity,
        )
        for (col, cat), (source, sensitivity) in wanted.items()
        if (col, cat) not in existing
    ]
    ColumnClassification.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    result.created = len(new)
    return result
