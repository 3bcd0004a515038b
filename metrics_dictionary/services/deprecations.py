"""Deprecations of metrics and catalog assets: the notice, its withdrawal, and the daily
retirement of metrics whose sunset date has passed."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.models import Asset
from catalog.search import search_signals_set
from governance.services import audit_record
from metrics_dictionary.errors import Conflict, DefinitionInvalid
from metrics_dictionary.models import (
    ChangeLogEntry,
    DeprecationNotice,
    Metric,
    MetricStatus,
    VersionState,
    WebhookEvent,
)
from metrics_dictionary.services._common import metric_status_refresh, notify_after_commit, require
from metrics_dictionary.services.metrics import metric_search_sync
from metrics_dictionary.services.webhook_delivery import deliveries_create, metric_payload


def _deprecation_open(
    *,
    metric: Metric | None,
    asset: Asset | None,
    reason: str,
    sunset_date: date | None,
    replacement: Metric | None,
    replacement_asset: Asset | None,
    actor,
) -> DeprecationNotice:
    reason = (reason or "").strip()
    if not reason:
        raise DefinitionInvalid("A deprecation needs a reason.", errors={"reason": ["say why"]})
    if replacement is not None and metric is not None and replacement.pk == metric.pk:
        raise DefinitionInvalid(
            "A metric cannot replace itself.", errors={"replacement": ["pick another metric"]}
        )
    existing = (
        DeprecationNotice.objects.select_for_update()
        .filter(withdrawn_at__isnull=True, **({"metric": metric} if metric else {"asset": asset}))
        .first()
    )
    if existing:
        raise Conflict(
            f"{existing.subject} is already deprecated (since {existing.created_at:%Y-%m-%d})."
        )
    return DeprecationNotice.objects.create(
        metric=metric,
        asset=asset,
        reason=reason,
        sunset_date=sunset_date,
        replacement=replacement,
        replacement_asset=replacement_asset,
        created_by=actor,
    )


def _notice_snapshot(notice: DeprecationNotice) -> dict[str, Any]:
    return {
        "reason": notice.reason,
        "sunset_date": notice.sunset_date.isoformat() if notice.sunset_date else None,
        "replacement": notice.replacement.slug if notice.replacement else None,
        "replacement_asset": notice.replacement_asset.unique_id
        if notice.replacement_asset
        else None,
    }


@transaction.atomic
def metric_deprecate(
    *,
    metric: Metric,
    reason: str,
    actor,
    sunset_date: date | None = None,
    replacement: Metric | None = None,
) -> DeprecationNotice:
    """Deprecate a metric: a banner everywhere it shows, retired after ``sunset_date``."""
    require(actor, "metric.deprecate", metric)
    metric = Metric.objects.select_for_update().get(pk=metric.pk)
    if metric.status == MetricStatus.RETIRED:
        raise Conflict(f"“{metric.name}” is already retired.")
    if replacement is not None and replacement.status == MetricStatus.RETIRED:
        raise Conflict(f"The replacement “{replacement.name}” is retired itself.")
    notice = _deprecation_open(
        metric=metric,
        asset=None,
        reason=reason,
        sunset_date=sunset_date,
        replacement=replacement,
        replacement_asset=None,
        actor=actor,
    )
    before = {"status": metric.status}
    metric.status = MetricStatus.DEPRECATED
    metric.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="metric.deprecate",
        obj=metric,
        before=before,
        after={"status": metric.status, **_notice_snapshot(notice)},
    )
    ChangeLogEntry.objects.create(
        kind=ChangeLogEntry.Kind.DEPRECATED,
        metric=metric,
        deprecation=notice,
        actor=actor,
        domain=metric.domain,
        tier=metric.tier,
        title=f"{metric.name} deprecated",
        summary=_notice_text(notice),
    )
    metric_search_sync(metric)
    notify_after_commit("deprecated", notice.pk)
    deliveries_create(
        event=WebhookEvent.DEPRECATED,
        payload={
            **metric_payload(metric, metric.current_version),
            "deprecation": _notice_snapshot(notice),
        },
    )
    return notice


@transaction.atomic
def asset_deprecate(
    *,
    asset: Asset,
    reason: str,
    actor,
    sunset_date: date | None = None,
    replacement_asset: Asset | None = None,
    replacement: Metric | None = None,
) -> DeprecationNotice:
    """The same deprecation notice for a catalog asset (a deprecated mart); search ranks it last."""
    require(actor, "asset.deprecate", asset)
    notice = _deprecation_open(
        metric=None,
        asset=asset,
        reason=reason,
        sunset_date=sunset_date,
        replacement=replacement,
        replacement_asset=replacement_asset,
        actor=actor,
    )
    search_signals_set(asset.pk, deprecated=True)
    audit_record(actor=actor, action="asset.deprecate", obj=asset, after=_notice_snapshot(notice))
    ChangeLogEntry.objects.create(
        kind=ChangeLogEntry.Kind.DEPRECATED,
        asset=asset,
        deprecation=notice,
        actor=actor,
        title=f"{asset.label or asset.name} ({asset.get_kind_display().lower()}) deprecated",
        summary=_notice_text(notice),
    )
    deliveries_create(
        event=WebhookEvent.DEPRECATED,
        payload={
            "asset": {"id": asset.pk, "unique_id": asset.unique_id, "name": asset.name},
            "deprecation": _notice_snapshot(notice),
        },
    )
    return notice


@transaction.atomic
def deprecation_withdraw(*, subject: Metric | Asset, actor) -> DeprecationNotice:
    """Undo the active deprecation of a metric or a catalog asset that has not retired its
    metric yet. Permission first: the state of a subject someone may not manage is not
    theirs to learn from a 409."""
    is_metric = isinstance(subject, Metric)
    require(actor, "metric.deprecate" if is_metric else "asset.deprecate", subject)
    notice = (
        DeprecationNotice.objects.select_for_update()
        .filter(
            withdrawn_at__isnull=True, **({"metric": subject} if is_metric else {"asset": subject})
        )
        .first()
    )
    if notice is None:
        raise Conflict(f"{subject.name} is not deprecated.")
    if notice.retired_at:
        raise Conflict("This deprecation is already withdrawn or has retired its metric.")
    notice.withdrawn_at = timezone.now()
    notice.save(update_fields=["withdrawn_at"])
    if is_metric:
        metric = Metric.objects.select_for_update().get(pk=notice.metric_id)
        metric.status = MetricStatus.APPROVED if metric.current_version_id else MetricStatus.DRAFT
        metric.save(update_fields=["status", "updated_at"])
        metric_status_refresh(metric)
        metric_search_sync(metric)
    else:
        search_signals_set(notice.asset_id, deprecated=False)
    audit_record(
        actor=actor,
        action="deprecation.withdraw",
        obj=notice.subject,
        before=_notice_snapshot(notice),
    )
    return notice


def _notice_text(notice: DeprecationNotice) -> str:
    text = notice.reason
    if notice.sunset_date:
        text += f" Sunset on {notice.sunset_date:%Y-%m-%d}."
    if notice.replacement:
        text += f" Use “{notice.replacement.name}” instead."
    elif notice.replacement_asset:
        text += f" Use {notice.replacement_asset.name} instead."
    return text


@transaction.atomic
def metrics_retire_due(*, today: date | None = None) -> list[int]:
    """Retire deprecated metrics whose sunset date has passed (the daily beat task).

    A retired metric stays resolvable by URL; its page is a tombstone pointing to the
    replacement. Safe to run twice: only notices not yet retired are claimed."""
    today = today or timezone.localdate()
    due = list(
        DeprecationNotice.objects.select_for_update(skip_locked=True).filter(
            metric__isnull=False,
            withdrawn_at__isnull=True,
            retired_at__isnull=True,
            sunset_date__lt=today,
        )
    )
    retired = []
    now = timezone.now()
    for notice in due:
        metric = Metric.objects.select_for_update().get(pk=notice.metric_id)
        before = {"status": metric.status}
        metric.status = MetricStatus.RETIRED
        metric.retired_at = now
        metric.save(update_fields=["status", "retired_at", "updated_at"])
        notice.retired_at = now
        notice.save(update_fields=["retired_at"])
        # Open proposals can no longer be published.
        open_versions = metric.versions.filter(
            state__in=[VersionState.DRAFT, VersionState.IN_REVIEW, VersionState.CHANGES_REQUESTED]
        )
        open_versions.update(state=VersionState.REJECTED, decided_at=now)
        audit_record(
            actor=None,
            action="metric.retire",
            obj=metric,
            before=before,
            after={"status": metric.status, "sunset_date": notice.sunset_date.isoformat()},
        )
        ChangeLogEntry.objects.create(
            kind=ChangeLogEntry.Kind.RETIRED,
            metric=metric,
            deprecation=notice,
            domain=metric.domain,
            tier=metric.tier,
            title=f"{metric.name} retired",
            summary=_notice_text(notice),
        )
        metric_search_sync(metric)
        retired.append(metric.pk)
    return retired
