"""The governance scorecard: KPIs computed from the catalog, each with its failing assets.

Every KPI is a provider registered by key in ``lexicon_core.extensions`` (``register_kpi``).
Governance registers its own below; an app above governance (the metric dictionary)
registers its KPIs the same way (``executive_metrics_approved``). A provider gets a
``ScorecardData`` (assets in scope, effective tiers; read once and shared) and returns a
``Kpi``: a numerator, a denominator, a target, and the ids of the assets that fail it (the
drill-down).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone

from catalog.models import Asset, AssetKind, Column, DataTest, NodeRunResult, SourceFreshnessResult
from catalog.selectors import freshness_vs_sla, latest_status_by
from governance.models import AssetOwner, ScorecardSnapshot
from governance.policies import sla_hours_by_tier
from governance.selectors import NO_TIER, chunked, effective_tiers
from lexicon_core.extensions import kpi_providers, register_kpi
from lexicon_core.tiers import Tier

# Assets that hold data: what owners, documentation, freshness and PII review are about.
DATA_KINDS = (AssetKind.MODEL, AssetKind.SOURCE, AssetKind.SEED, AssetKind.SNAPSHOT)
# Documentation completeness each tier must reach (share of the asset and its columns described).
DOC_TARGETS = {Tier.TIER_1: 95.0, Tier.TIER_2: 80.0}


@dataclass
class Kpi:
    key: str
    label: str
    description: str
    numerator: int = 0
    denominator: int = 0
    target: float | None = None  # percent
    failing: list[int] = field(default_factory=list)  # asset ids, the drill-down
    details: dict[int, str] = field(default_factory=dict)  # why each failing asset fails
    # failing things that have no catalog asset (a metric never approved): (name, url, why)
    failing_other: list[tuple[str, str, str]] = field(default_factory=list)
    unit: str = "assets"
    available: bool = True
    unavailable_reason: str = ""

    @property
    def value(self) -> float | None:
        if not self.available or not self.denominator:
            return None
        return round(100.0 * self.numerator / self.denominator, 1)

    @property
    def meets_target(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "description": self.description,
            "available": self.available,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "target": self.target,
            "meets_target": self.meets_target,
            "unit": self.unit,
            "failing_asset_ids": sorted(self.failing),
            "unavailable_reason": self.unavailable_reason,
            "failing_other": [{"name": n, "url": u, "why": w} for n, u, w in self.failing_other],
        }


class ScorecardData:
    """What several KPIs read, loaded once per computation."""

    @staticmethod
    def in_scope() -> QuerySet[Asset]:
        return Asset.objects.filter(kind__in=DATA_KINDS, removed_at__isnull=True)

    @cached_property
    def assets(self) -> dict[int, Asset]:
        return {a.pk: a for a in self.in_scope().select_related("project").order_by("pk")}

    @cached_property
    def tiers(self) -> dict[int, int | None]:
        """The effective tier of each asset in scope (``governance.selectors.effective_tiers``)."""
        tiers = effective_tiers(self.in_scope())
        return {pk: tiers.get(pk, NO_TIER).tier for pk in self.assets}

    def with_tier(self, *tiers: int, kinds: tuple[str, ...] = DATA_KINDS) -> list[Asset]:
        return [a for pk, a in self.assets.items() if self.tiers[pk] in tiers and a.kind in kinds]


def scorecard_compute(keys: list[str] | None = None) -> list[Kpi]:
    """Every registered KPI (``lexicon_core.extensions.register_kpi``), in their order."""
    data = ScorecardData()
    return [p.fn(data) for p in kpi_providers() if keys is None or p.key in keys]


def scorecard_kpi(key: str) -> Kpi:
    found = [p for p in kpi_providers() if p.key == key]
    if not found:
        raise LookupError(f"no scorecard KPI {key!r}")
    return found[0].fn(ScorecardData())


# ---------------------------------------------------------------------------- the KPIs


def assets_with_required_tests(assets: list[Asset]) -> dict[int, str]:
    """Asset id → why it fails its tier policy's required tests (``governance.policies``:
    the tests on the primary key); assets that pass are absent."""
    from governance.policies import policy_checks_many

    return {
        pk: check.detail
        for pk, checks in policy_checks_many(assets).items()
        for check in checks
        if check.name == "tests" and not check.passed
    }


@register_kpi("tier1_test_coverage", order=10)
def tier1_test_coverage(data: ScorecardData) -> Kpi:
    models = data.with_tier(Tier.TIER_1, kinds=(AssetKind.MODEL,))
    why = assets_with_required_tests(models)
    failing = [a.pk for a in models if a.pk in why]
    return Kpi(
        "tier1_test_coverage",
        "Tier-1 test coverage",
        "Share of Tier-1 models with the tests their tier policy requires on the primary key.",
        numerator=len(models) - len(failing),
        denominator=len(models),
        target=100.0,
        failing=failing,
        details={pk: why[pk] for pk in failing},
    )


def documentation_completeness(assets: list[Asset]) -> dict[int, float]:
    """Per asset, the percentage of {the asset, each active column} that has a description."""
    described: dict[int, list[int]] = {a.pk: [1 if a.description.strip() else 0, 1] for a in assets}
    for chunk in chunked(described):
        for asset_id, description in Column.objects.filter(
            asset__in=chunk, removed_at__isnull=True
        ).values_list("asset_id", "description"):
            described[asset_id][0] += 1 if description.strip() else 0
            described[asset_id][1] += 1
    return {pk: 100.0 * done / total for pk, (done, total) in described.items()}


@register_kpi("documentation", order=20)
def documentation(data: ScorecardData) -> Kpi:
    assets = data.with_tier(Tier.TIER_1, Tier.TIER_2)
    completeness = documentation_completeness(assets)
    failing = [a.pk for a in assets if completeness[a.pk] < DOC_TARGETS[data.tiers[a.pk]]]
    return Kpi(
        "documentation",
        "Documentation completeness",
        "Share of Tier-1 and Tier-2 assets whose description and column descriptions reach "
        "the tier's target (Tier 1: 95 %, Tier 2: 80 % described).",
        numerator=len(assets) - len(failing),
        denominator=len(assets),
        target=100.0,
        failing=failing,
        details={
            pk: f"{completeness[pk]:.0f} % described, target {DOC_TARGETS[data.tiers[pk]]:.0f} %"
            for pk in failing
        },
    )


@register_kpi("ownership", order=30)
def ownership(data: ScorecardData) -> Kpi:
    assets = list(data.assets.values())
    owned = set(
        AssetOwner.objects.filter(
            asset__kind__in=DATA_KINDS, asset__removed_at__isnull=True
        ).values_list("asset_id", flat=True)
    )
    failing = [a.pk for a in assets if a.pk not in owned and not a.dbt_owners]
    return Kpi(
        "ownership",
        "Ownership coverage",
        "Share of models, sources, seeds and snapshots with an owner (set here or in dbt meta).",
        numerator=len(assets) - len(failing),
        denominator=len(assets),
        target=100.0,
        failing=failing,
        details={pk: "no owner" for pk in failing},
    )


@register_kpi("freshness", order=40)
def freshness(data: ScorecardData) -> Kpi:
    assets = [a for a in data.assets.values() if data.tiers[a.pk]]
    ids = [a.pk for a in assets]
    fresh = _newest(SourceFreshnessResult, ids)
    runs = _newest(NodeRunResult, ids)
    by_tier = sla_hours_by_tier()
    measured, failing, details = 0, [], {}
    for asset in assets:
        hours = by_tier.get(data.tiers[asset.pk])
        sla = freshness_vs_sla(asset, fresh.get(asset.pk), runs.get(asset.pk), sla_hours=hours)
        if sla is None:
            continue
        measured += 1
        if not sla["ok"]:
            failing.append(asset.pk)
            details[asset.pk] = f"{sla['age_hours']:.0f} h old, SLA {sla['sla_hours']} h"
    return Kpi(
        "freshness",
        "Freshness compliance",
        "Share of tiered sources and models whose last load or successful run is within the "
        "tier's SLA (assets with no timestamp are not counted).",
        numerator=measured - len(failing),
        denominator=measured,
        target=100.0,
        failing=failing,
        details=details,
    )


def _newest(model, ids: list[int]) -> dict:
    """The newest result row per asset (freshness results or run results)."""
    out = {}
    for chunk in chunked(ids):
        for row in model.objects.filter(asset__in=chunk).order_by(
            "asset_id", "-generated_at", "-id"
        ):
            out.setdefault(row.asset_id, row)
    return out


QUALITY_STATUSES = ("pass", "fail", "error", "warn")


@register_kpi("data_quality", order=50)
def data_quality(data: ScorecardData) -> Kpi:
    # Tests attached to an active asset (a failing test must point at an asset to drill down to).
    in_scope = {
        "removed_at__isnull": True,
        "asset__isnull": False,
        "asset__removed_at__isnull": True,
    }
    tests = dict(DataTest.objects.filter(**in_scope).values_list("pk", "asset_id"))
    latest = latest_status_by(
        NodeRunResult.objects.filter(**{f"test__{k}": v for k, v in in_scope.items()}), "test_id"
    )
    counted = {t: s for t, s in latest.items() if s in QUALITY_STATUSES}
    bad: dict[int, int] = defaultdict(int)
    for test_id, status in counted.items():
        if status != "pass":
            bad[tests[test_id]] += 1
    passed = sum(1 for s in counted.values() if s == "pass")
    return Kpi(
        "data_quality",
        "Data-quality pass rate",
        "Share of tests whose latest result passed (warn, fail and error do not).",
        numerator=passed,
        denominator=len(counted),
        target=100.0,
        failing=sorted(bad),
        unit="tests",
        details={pk: f"{n} test{'s' if n != 1 else ''} not passing" for pk, n in bad.items()},
    )


def column_review_states() -> dict[int, tuple[int, int]]:
    """Per asset in scope, (reviewed columns, active columns).

    Only a column with at least one decided classification can be reviewed, so only those
    columns' classifications are read (the rule itself is ``effective_classification``).
    """
    from governance.models import ColumnClassification
    from governance.pii.effective import effective_classification

    in_scope = {
        "asset__kind__in": DATA_KINDS,
        "asset__removed_at__isnull": True,
        "removed_at__isnull": True,
    }
    totals = dict(
        Column.objects.filter(**in_scope)
        .values("asset_id")
        .annotate(n=Count("id"))
        .values_list("asset_id", "n")
    )
    decided = (
        ColumnClassification.objects.filter(**{f"column__{k}": v for k, v in in_scope.items()})
        .exclude(status=ColumnClassification.Status.SUGGESTED)
        .values("column_id")
    )
    rows: dict[tuple[int, int], list[ColumnClassification]] = defaultdict(list)
    for row in ColumnClassification.objects.filter(column__in=decided).annotate(
        asset_id=F("column__asset_id")
    ):
        rows[(row.asset_id, row.column_id)].append(row)
    reviewed: dict[int, int] = defaultdict(int)
    for (asset_id, _column_id), column_rows in rows.items():
        if effective_classification(column_rows).reviewed:
            reviewed[asset_id] += 1
    return {pk: (reviewed.get(pk, 0), total) for pk, total in totals.items()}


@register_kpi("pii_review", order=60)
def pii_review(data: ScorecardData) -> Kpi:
    states = column_review_states()
    reviewed = sum(done for done, _t in states.values())
    total = sum(t for _d, t in states.values())
    failing = sorted(pk for pk, (done, t) in states.items() if done < t)
    return Kpi(
        "pii_review",
        "PII review coverage",
        "Share of columns classified (a confirmed category) or confirmed clean by a reviewer.",
        numerator=reviewed,
        denominator=total,
        target=100.0,
        failing=failing,
        unit="columns",
        details={
            pk: f"{states[pk][1] - states[pk][0]} of {states[pk][1]} columns not reviewed"
            for pk in failing
        },
    )


# ---------------------------------------------------------------------------- daily snapshots


@transaction.atomic
def scorecard_snapshot_take(*, day: date | None = None) -> ScorecardSnapshot:
    """Store today's numbers; taking it again the same day replaces that day's row."""
    day = day or timezone.localdate()
    values = {
        k.key: {
            "value": k.value,
            "numerator": k.numerator,
            "denominator": k.denominator,
            "failing": len(k.failing),
            "available": k.available,
        }
        for k in scorecard_compute()
    }
    snapshot, _ = ScorecardSnapshot.objects.update_or_create(day=day, defaults={"values": values})
    return snapshot


def scorecard_trends(days: int = 90) -> dict:
    """Chart data: dates as category labels, one series per KPI (None where unknown)."""
    snapshots = list(ScorecardSnapshot.objects.order_by("-day")[:days])[::-1]
    labels = [s.day.isoformat() for s in snapshots]
    series = []
    for key in (p.key for p in kpi_providers()):
        points = [(s.values.get(key) or {}).get("value") for s in snapshots]
        if any(p is not None for p in points):
            series.append({"key": key, "points": points})
    return {"labels": labels, "series": series}


def failing_assets(kpi: Kpi) -> list[Asset]:
    """The failing assets of a KPI, by project, kind and name, with their tier and the reason."""
    out = []
    for chunk in chunked(kpi.failing):
        tiers = effective_tiers(chunk)
        for asset in (
            Asset.objects.filter(pk__in=chunk)
            .select_related("project")
            .only("id", "name", "kind", "project__name")
        ):
            asset.effective_tier = tiers.get(asset.pk, NO_TIER).tier
            asset.failing_detail = kpi.details.get(asset.pk, "")
            out.append(asset)
    return sorted(out, key=lambda a: (a.project.name, a.kind, a.name, a.pk))
