"""Drift: an approved definition checked against the catalog as it is after an ingest.

A related column removed or renamed, a related model tombstoned, a column whose type
family changed (number -> text ...), or a formula column no related model has marks the
metric "needs attention" with the column named; owners are emailed and the
``metric.needs_attention`` webhook fires. A metric whose problems are gone is cleared.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.models import Asset, Column
from governance.services import audit_record
from metrics_dictionary.models import ChangeLogEntry, Metric, MetricStatus, WebhookEvent
from metrics_dictionary.services._common import notify_after_commit
from metrics_dictionary.services.formula import type_family
from metrics_dictionary.services.webhook_delivery import deliveries_create, metric_payload


def drift_reasons(metric: Metric) -> list[dict[str, Any]]:
    """The problems of the metric's approved version against the live catalog (may be empty)."""
    from metrics_dictionary.selectors import formula_column_checks

    version = metric.current_version
    if version is None:
        return []
    reasons: list[dict[str, Any]] = []
    snapshot = version.column_snapshot or {}
    snap_columns: dict[str, dict[str, Any]] = snapshot.get("columns", {})
    live = {
        c.pk: c
        for c in Column.objects.filter(pk__in=[int(k) for k in snap_columns]).select_related(
            "asset"
        )
    }
    named: set[str] = set()
    for key, snap in snap_columns.items():
        column = live.get(int(key))
        where = f"{snap['asset']}.{snap['column']}"
        if column is None or column.removed_at is not None:
            named.add(snap["column"].lower())
            reasons.append(
                {
                    "kind": "column_removed",
                    "asset": snap["asset"],
                    "column": snap["column"],
                    "message": (
                        f"Column {snap['column']} of {snap['asset']} was removed or renamed."
                    ),
                }
            )
        elif (
            column.asset.removed_at is None
            and snap.get("family")
            and type_family(column.data_type)
            and type_family(column.data_type) != snap["family"]
        ):
            named.add(snap["column"].lower())
            reasons.append(
                {
                    "kind": "type_changed",
                    "asset": snap["asset"],
                    "column": snap["column"],
                    "old_type": snap["data_type"],
                    "new_type": column.data_type,
                    "message": (
                        f"Column {where} changed type from {snap['data_type']} "
                        f"to {column.data_type}."
                    ),
                }
            )
    for asset in version.related_assets.all():
        if asset.removed_at is not None:
            reasons.append(
                {
                    "kind": "model_removed",
                    "asset": asset.name,
                    "column": "",
                    "message": f"Model {asset.name} was removed from the manifest on "
                    f"{asset.removed_at:%Y-%m-%d}.",
                }
            )
    for check in formula_column_checks(version):
        if not check.exists and check.name not in named:
            reasons.append(
                {
                    "kind": "column_missing",
                    "asset": "",
                    "column": check.name,
                    "message": f"The formula uses {check.name}, {check.note}.",
                }
            )
    if metric.defined_in_dbt and metric.asset_id:
        asset = Asset.objects.filter(pk=metric.asset_id).only("removed_at", "name").first()
        if asset is not None and asset.removed_at is not None:
            reasons.append(
                {
                    "kind": "dbt_metric_removed",
                    "asset": asset.name,
                    "column": "",
                    "message": f"The dbt metric {asset.name} was removed from the manifest.",
                }
            )
    return reasons


@transaction.atomic
def metric_drift_check(metric: Metric, *, notify: bool = True) -> list[dict[str, Any]]:
    """Re-check one metric; flag or clear it. Notifies owners and webhooks only when the
    set of problems changed and ``notify`` is on. Returns the current reasons."""
    metric = (
        Metric.objects.select_for_update(of=("self",))
        .select_related("current_version")
        .get(pk=metric.pk)
    )
    reasons = drift_reasons(metric)
    before = metric.attention_reasons or []
    key = sorted((r["kind"], r["asset"], r["column"]) for r in reasons)
    old_key = sorted((r.get("kind"), r.get("asset"), r.get("column")) for r in before)
    if key == old_key and metric.needs_attention == bool(reasons):
        return reasons
    metric.needs_attention = bool(reasons)
    metric.attention_reasons = reasons
    metric.attention_since = (metric.attention_since or timezone.now()) if reasons else None
    metric.save(
        update_fields=["needs_attention", "attention_reasons", "attention_since", "updated_at"]
    )
    audit_record(
        actor=None,
        action="metric.needs_attention" if reasons else "metric.attention_cleared",
        obj=metric,
        before={"reasons": before},
        after={"reasons": reasons},
    )
    if reasons and notify:
        ChangeLogEntry.objects.create(
            kind=ChangeLogEntry.Kind.NEEDS_ATTENTION,
            metric=metric,
            version=metric.current_version,
            domain=metric.domain,
            tier=metric.tier,
            title=f"{metric.name} needs attention",
            summary=" ".join(r["message"] for r in reasons),
        )
        notify_after_commit("needs_attention", metric.pk)
        deliveries_create(
            event=WebhookEvent.NEEDS_ATTENTION,
            payload={**metric_payload(metric, metric.current_version), "reasons": reasons},
        )
    return reasons


def drift_check_project(
    project_id: int | None = None, asset_ids: set[int] | None = None
) -> list[int]:
    """Re-check published metrics computed from ``project_id`` (every one when None).

    With ``asset_ids`` (what an ingest added, changed or removed) only metrics whose related
    models, columns' models or dbt asset are among them are checked, plus those already
    flagged (so a fix clears them). Returns the ids of metrics that need attention afterwards."""
    from django.db.models import Q

    metrics = Metric.objects.filter(current_version__isnull=False).exclude(
        status=MetricStatus.RETIRED
    )
    if project_id is not None:
        metrics = metrics.filter(
            Q(current_version__related_assets__project_id=project_id)
            | Q(asset__project_id=project_id)
        )
    if asset_ids is not None:
        ids = list(asset_ids)
        metrics = metrics.filter(
            Q(current_version__related_assets__in=ids)
            | Q(current_version__related_columns__asset__in=ids)
            | Q(asset__in=ids)
            | Q(needs_attention=True)
        )
    flagged = []
    for metric in Metric.objects.filter(pk__in=metrics.values("pk")).order_by("pk"):
        if metric_drift_check(metric):
            flagged.append(metric.pk)
    return flagged
