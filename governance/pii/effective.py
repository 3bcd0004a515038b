"""The effective classification of a column: the one rule (see ``governance.pii``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from catalog.models import Column
from governance.models import ColumnClassification, PiiCategory

Origin = ColumnClassification.Origin
Status = ColumnClassification.Status
Sensitivity = ColumnClassification.Sensitivity

_SENSITIVITY_RANK = {s: i for i, s in enumerate(Sensitivity.values)}
_ORIGIN_RANK = {Origin.PERSON: 0, Origin.DBT: 1, Origin.LINEAGE: 2, Origin.HEURISTIC: 3}


@dataclass(frozen=True)
class Effective:
    is_pii: bool | None  # None: nobody knows yet
    category: str
    origin: str
    status: str  # confirmed, rejected (clean), suggested, or "" (unknown)
    sensitivity: str = ""
    source_column_id: int | None = None
    classification_id: int | None = None

    @property
    def reviewed(self) -> bool:
        return self.status in (Status.CONFIRMED, Status.REJECTED)

    @property
    def clean(self) -> bool:
        return self.is_pii is False


UNKNOWN = Effective(None, "", "", "")


def effective_classification(rows: Iterable[ColumnClassification], dbt_pii: str = "") -> Effective:
    """The one rule for which classification of a column counts (see the module docstring)."""
    rows = list(rows)

    def make(row: ColumnClassification, is_pii: bool, status: str | None = None) -> Effective:
        return Effective(
            is_pii,
            row.category,
            row.origin,
            status or row.status,
            row.sensitivity,
            row.source_column_id,
            row.pk,
        )

    confirmed = [r for r in rows if r.status == Status.CONFIRMED and r.category != PiiCategory.NONE]
    if confirmed:
        best = max(
            confirmed,
            key=lambda r: (
                _SENSITIVITY_RANK.get(r.sensitivity, 0),
                r.decided_at or r.created_at or timezone.now(),
                -_ORIGIN_RANK.get(r.origin, 9),
                r.pk or 0,
            ),
        )
        return make(best, True)
    person_clean = [
        r
        for r in rows
        if r.origin == Origin.PERSON
        and (r.status == Status.REJECTED or (r.status == Status.CONFIRMED and r.category == "none"))
    ]
    if person_clean:
        return make(
            person_clean[0],
            False,
            Status.CONFIRMED if person_clean[0].status == Status.CONFIRMED else Status.REJECTED,
        )
    rejected_categories = {r.category for r in rows if r.status == Status.REJECTED}
    open_rows = [
        r for r in rows if r.status == Status.SUGGESTED and r.category not in rejected_categories
    ]
    if open_rows:
        best = min(
            open_rows,
            key=lambda r: (
                _ORIGIN_RANK.get(r.origin, 9),
                -_SENSITIVITY_RANK.get(r.sensitivity, 0),
                r.pk or 0,
            ),
        )
        return make(best, best.category != PiiCategory.NONE)
    if rejected_categories:
        rejected = [r for r in rows if r.status == Status.REJECTED]
        return make(rejected[0], False)
    if dbt_pii:
        return Effective(True, "", Origin.DBT, Status.SUGGESTED)
    return UNKNOWN


def effective_many(columns: Iterable[Column], classifications=None) -> dict[int, Effective]:
    """The effective classification of each column, in one query (``classifications``: a
    queryset covering the columns, when an id list would be too long)."""
    columns = list(columns)
    rows: dict[int, list[ColumnClassification]] = defaultdict(list)
    if classifications is None:
        classifications = ColumnClassification.objects.filter(column__in=[c.pk for c in columns])
    for row in classifications:
        rows[row.column_id].append(row)
    return {c.pk: effective_classification(rows.get(c.pk, ()), c.dbt_pii) for c in columns}


def effective_for(column: Column) -> Effective:
    return effective_classification(
        ColumnClassification.objects.filter(column=column), column.dbt_pii
    )
