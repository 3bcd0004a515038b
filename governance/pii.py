"""PII classification of columns: heuristics, the effective classification, propagation
along column lineage, and the reviewer's decisions.

Where a classification comes from (``ColumnClassification.origin``):

- ``dbt``: the column is flagged in dbt meta/tags (``catalog.Column.dbt_pii``);
- ``heuristic``: a rule on the column's name and type matched (``PII_RULES``; no data is read);
- ``lineage``: an upstream column confirmed as PII flows into it by a copy or a
  transformation (``source_column`` is that confirmed column);
- ``person``: a reviewer classified the column directly (the column page or the API).

Only people decide: a suggestion becomes ``confirmed`` or ``rejected`` when a reviewer
says so. The effective classification of a column is decided once, in
``effective_classification``:

1. a confirmed PII category (any origin) wins; the most sensitive, then the newest, then
   by origin (person, dbt, lineage, heuristic);
2. else a person's "not PII" (a person row rejected, or confirmed as ``none``) makes the
   column *clean*;
3. else open suggestions (a category a person rejected on the column is hidden);
   dbt meta first, then lineage, then heuristics;
4. else every suggestion was rejected: the column is clean too;
5. else the raw dbt flag (before the ingest hook wrote its suggestion), else unknown.

A column counts as *reviewed* (for the scorecard) in cases 1, 2 and 4.

Propagation: aggregates do not propagate (``LEXICON_PII_PROPAGATE_KINDS``, default copy
and transform): ``count(distinct email)`` or ``max(signup_at)`` do not identify a person.
Propagation stops at a column a person marked not-PII (for example a hashed email), and
is recomputed as a whole for a project (``pii_propagation_sync``) after every decision,
after every ingest, and daily before the scorecard snapshot, so rejecting or removing
the source withdraws the suggestions it caused unless a person already decided them.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.models import Column
from governance.models import ColumnClassification, PiiCategory

Origin = ColumnClassification.Origin
Status = ColumnClassification.Status
Sensitivity = ColumnClassification.Sensitivity

# ---------------------------------------------------------------------------- heuristics

_TEXT = r"char|text|string|clob|^$"  # an empty type: catalog.json not ingested yet

# The default rule set, tried in order; the first match gives the column's suggestion.
# ``name`` and ``types`` are regular expressions searched in the lower-cased column name
# and data type; ``exclude`` (on the name) vetoes a match. Replace the whole table with
# a JSON file of the same shape: LEXICON_PII_RULES_FILE.
DEFAULT_PII_RULES: list[dict[str, str]] = [
    {
        "category": "email",
        "sensitivity": "high",
        "name": r"(^|_)e_?mail(_?addr(ess)?)?$",
        "types": _TEXT,
    },
    {
        "category": "phone",
        "sensitivity": "high",
        "name": r"(^|_)(phone|mobile|cell_?phone|msisdn|fax|tele?phone)(_?(number|no|num|nr))?$",
    },
    {
        "category": "name",
        "sensitivity": "medium",
        "name": r"(^|_)(first|last|middle|full|given|family|maiden|contact|customer|person|legal)_?name$|^(surname|forename)$",
        "types": _TEXT,
    },
    {
        "category": "address",
        "sensitivity": "high",
        "name": r"(^|_)(street(_address)?|address(_line)?_?\d?|addr_line_?\d?|postal_?code|post_?code|zip(_?code)?|"
        r"(home|billing|shipping|mailing|postal|street)_address)$",
        "exclude": r"(e_?mail|ip)_?address",
    },
    {"category": "ip", "sensitivity": "medium", "name": r"(^|_)ip(_?addr(ess)?|_?v[46])?$"},
    {"category": "ip", "sensitivity": "medium", "types": r"^inet$"},
    {
        "category": "government_id",
        "sensitivity": "restricted",
        "name": r"(^|_)(ssn|social_security(_number)?|passport(_?(number|no))?|national_id(_number)?|tax_id|"
        r"nino|drivers?_?licen[cs]e(_?(number|no))?)$",
    },
    {
        "category": "payment",
        "sensitivity": "restricted",
        "name": r"(^|_)(card_?number|credit_?card(_number)?|cc_?number|iban|bank_account(_number)?|"
        r"routing_number|cvv|cvc)$",
    },
    {
        "category": "health",
        "sensitivity": "restricted",
        "name": r"(^|_)(diagnos[ie]s|medical_\w+|medications?|icd_?(9|10)?_?codes?|blood_type|allerg(y|ies)|"
        r"disabilit(y|ies)|health_(condition|record|status))$",
    },
    {
        "category": "date_of_birth",
        "sensitivity": "high",
        "name": r"(^|_)(date_of_birth|dob|birth_?date|birthday|birth_dt)$",
    },
    {
        "category": "free_text",
        "sensitivity": "medium",
        "name": r"(^|_)(comments?|notes?|free_text|message|body|remarks?|feedback)$",
        "types": _TEXT,
    },
]


@dataclass(frozen=True)
class PiiRule:
    category: str
    sensitivity: str
    name: re.Pattern | None = None
    types: re.Pattern | None = None
    exclude: re.Pattern | None = None

    def matches(self, name: str, data_type: str) -> bool:
        name, data_type = name.lower(), data_type.lower()
        if self.name is not None and not self.name.search(name):
            return False
        if self.types is not None and not self.types.search(data_type):
            return False
        return not (self.exclude is not None and self.exclude.search(name))


def compile_rules(raw: Any, where: str = "rules") -> list[PiiRule]:
    """Check and compile a rule table; errors name the rule and the field."""
    if not isinstance(raw, list):
        raise ImproperlyConfigured(f"{where}: expected a list of rules, got {type(raw).__name__}.")
    rules = []
    for i, entry in enumerate(raw, start=1):
        place = f"{where}, rule {i}"
        if not isinstance(entry, dict):
            raise ImproperlyConfigured(
                f"{place}: expected an object with category, name and/or types."
            )
        unknown = set(entry) - {"category", "sensitivity", "name", "types", "exclude"}
        if unknown:
            raise ImproperlyConfigured(f"{place}: unknown field(s) {', '.join(sorted(unknown))}.")
        category = entry.get("category")
        if category not in PiiCategory.values or category == PiiCategory.NONE:
            raise ImproperlyConfigured(
                f"{place}: category {category!r} is not one of "
                f"{', '.join(v for v in PiiCategory.values if v != 'none')}."
            )
        sensitivity = entry.get("sensitivity", Sensitivity.MEDIUM)
        if sensitivity not in Sensitivity.values:
            raise ImproperlyConfigured(
                f"{place}: sensitivity {sensitivity!r} is not one of "
                f"{', '.join(Sensitivity.values)}."
            )
        if not entry.get("name") and not entry.get("types"):
            raise ImproperlyConfigured(f"{place}: give a name pattern, a types pattern or both.")
        patterns = {}
        for key in ("name", "types", "exclude"):
            if entry.get(key) is None:
                continue
            try:
                patterns[key] = re.compile(str(entry[key]))
            except re.error as exc:
                raise ImproperlyConfigured(
                    f"{place}: {key} is not a valid regular expression ({exc})."
                ) from None
        rules.append(PiiRule(category=category, sensitivity=sensitivity, **patterns))
    return rules


@lru_cache(maxsize=4)
def _rules_from(path: str | None) -> tuple[PiiRule, ...]:
    if not path:
        return tuple(compile_rules(DEFAULT_PII_RULES, "DEFAULT_PII_RULES"))
    file = Path(path)
    try:
        raw = json.loads(file.read_text())
    except OSError as exc:
        raise ImproperlyConfigured(
            f"LEXICON_PII_RULES_FILE {file}: cannot be read ({exc.strerror})."
        ) from None
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(
            f"LEXICON_PII_RULES_FILE {file}: line {exc.lineno} column {exc.colno}: {exc.msg}."
        ) from None
    return tuple(compile_rules(raw, str(file)))


def pii_rules() -> tuple[PiiRule, ...]:
    """The rule set in force: the file named by LEXICON_PII_RULES_FILE, else the defaults."""
    return _rules_from(getattr(settings, "LEXICON_PII_RULES_FILE", "") or None)


def suggest_for(
    name: str, data_type: str = "", rules: Iterable[PiiRule] | None = None
) -> PiiRule | None:
    """The first rule that matches a column's name and type, if any."""
    for candidate in pii_rules() if rules is None else rules:
        if candidate.matches(name, data_type):
            return candidate
    return None


# ---------------------------------------------------------------------------- effective classification

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


# ---------------------------------------------------------------------------- suggestions from ingest

# Id lists go to the database in slices: PostgreSQL takes at most 65,535 parameters a query.
CHUNK = 2000


def chunked(ids: Iterable[int], size: int = CHUNK) -> Iterable[list[int]]:
    ids = sorted(set(ids))
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


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
    """Post-ingest hook (registered in ``GovernanceConfig.ready``): suggestions for changed assets, then
    propagation again (a removed source withdraws what it caused)."""
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


def _project_ids_of(column_ids: Iterable[int]) -> list[int]:
    projects: set[int] = set()
    for chunk in chunked(column_ids):
        projects |= set(
            Column.objects.filter(pk__in=chunk).values_list("asset__project_id", flat=True)
        )
    return sorted(projects)


# ---------------------------------------------------------------------------- reviewers' decisions


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
    *, classification_ids: Iterable[int], decision: str, actor, request_id: str = ""
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
            request_id=request_id,
        )
    if groups:
        pii_propagation_sync(project_ids=_project_ids_of(column_id for column_id, _c in groups))
    return changed


def column_mark_clean(*, column: Column, actor, note: str = "", request_id: str = ""):
    """A person confirms the column holds no PII (counts as reviewed on the scorecard)."""
    from governance.services import column_classification_decide

    return column_classification_decide(
        column=column,
        category=PiiCategory.NONE,
        status=Status.CONFIRMED,
        sensitivity=Sensitivity.LOW,
        actor=actor,
        note=note,
        request_id=request_id,
    )
