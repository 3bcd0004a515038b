"""The metric dictionary's number on the governance scorecard: executive metrics approved.

Executive metrics are the tier-1 metrics (the KPIs leadership reads). One counts as
approved when it has a published version and nothing has drifted under it (not "needs
attention"); deprecated and retired metrics are on their way out and not counted. The
drill-down lists the catalog assets of the failing metrics (every dictionary metric has
one: dbt's metric or its ``lexicon-dictionary`` asset).
"""

from __future__ import annotations

from django.urls import reverse

from governance.scorecard import Kpi, ScorecardData
from lexicon_core.extensions import register_kpi
from lexicon_core.tiers import Tier
from metrics_dictionary.models import OUTGOING_STATUSES, Metric

EXECUTIVE_TIER = Tier.TIER_1


@register_kpi("executive_metrics_approved", order=70)
def executive_metrics_approved(data: ScorecardData) -> Kpi:
    metrics = list(
        Metric.objects.filter(tier=EXECUTIVE_TIER)
        .exclude(status__in=OUTGOING_STATUSES)
        .only("slug", "name", "asset_id", "current_version_id", "needs_attention")
        .order_by("slug")
    )
    details: dict[int, str] = {}
    others: list[tuple[str, str, str]] = []
    for metric in metrics:
        reason = (
            "no approved version yet"
            if metric.current_version_id is None
            else "approved, but needs attention (the catalog changed under it)"
            if metric.needs_attention
            else ""
        )
        if reason and metric.asset_id:
            details[metric.asset_id] = f"{metric.slug}: {reason}"
        elif reason:
            others.append(
                (metric.name, reverse("metrics_dictionary:metric", args=[metric.slug]), reason)
            )
    failing = len(details) + len(others)
    return Kpi(
        "executive_metrics_approved",
        "Executive metrics approved",
        f"Share of tier-{EXECUTIVE_TIER} metrics with an approved version that nothing has "
        "drifted under.",
        numerator=len(metrics) - failing,
        denominator=len(metrics),
        target=100.0,
        failing=list(details),
        details=details,
        failing_other=others,
        unit="metrics",
    )
