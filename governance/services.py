"""Every write a person makes in governance: validated, audited, one function each."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.models import Asset, Column
from catalog.search import search_signals_set
from governance.models import (
    AssetOwner,
    AssetTier,
    AuditEvent,
    ColumnClassification,
    OwnerType,
    PiiCategory,
    Team,
)


def audit_record(*, actor, action: str, obj: Any, before: Any = None, after: Any = None,
                 request_id: str = "") -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor, actor_name=getattr(actor, "username", "") or "", action=action,
        object_type=obj._meta.label_lower, object_id=str(obj.pk), object_repr=str(obj)[:300],
        before=before, after=after, request_id=request_id,
    )


def _owner_snapshot(asset: Asset) -> list[dict[str, Any]]:
    return [
        {"user": a.user.username if a.user else None, "team": a.team.name if a.team else None, "type": a.owner_type}
        for a in asset.owner_assignments.select_related("user", "team").order_by("id")
    ]


@transaction.atomic
def asset_owners_set(*, asset: Asset, users=(), teams: tuple[Team, ...] = (), owner_type: str = OwnerType.TECHNICAL,
                     actor) -> list[AssetOwner]:
    """Replace the person-set owners of one type; dbt's owners stay recorded beside them."""
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    before = _owner_snapshot(asset)
    asset.owner_assignments.filter(owner_type=owner_type).delete()
    rows = [AssetOwner(asset=asset, user=u, owner_type=owner_type, assigned_by=actor) for u in users]
    rows += [AssetOwner(asset=asset, team=t, owner_type=owner_type, assigned_by=actor) for t in teams]
    AssetOwner.objects.bulk_create(rows)
    audit_record(actor=actor, action="asset.owners_set", obj=asset, before=before, after=_owner_snapshot(asset))
    return rows


@transaction.atomic
def asset_tier_set(*, asset: Asset, tier: int, reason: str = "", actor) -> AssetTier:
    if tier not in (1, 2, 3):
        raise ValueError("tier must be 1, 2 or 3")
    existing = AssetTier.objects.select_for_update().filter(asset=asset).first()
    before = {"tier": existing.tier} if existing else {"tier": asset.dbt_tier, "origin": "dbt"}
    decision, _ = AssetTier.objects.update_or_create(
        asset=asset, defaults={"tier": tier, "reason": reason, "decided_by": actor}
    )
    search_signals_set(asset.pk, tier=tier)
    audit_record(actor=actor, action="asset.tier_set", obj=asset, before=before, after={"tier": tier, "reason": reason})
    return decision


@transaction.atomic
def column_classification_decide(*, column: Column, category: str, status: str, actor,
                                 sensitivity: str = ColumnClassification.Sensitivity.MEDIUM,
                                 note: str = "", request_id: str = "") -> ColumnClassification:
    """A person's PII classification of a column (confirm a category, reject PII, or
    suggest one for another reviewer); lineage suggestions follow (``governance.pii``)."""
    from governance.pii import pii_propagation_sync

    if category not in PiiCategory.values:
        raise ValueError(f"unknown PII category {category!r}")
    if sensitivity not in ColumnClassification.Sensitivity.values:
        raise ValueError(f"unknown sensitivity {sensitivity!r}")
    if status not in ColumnClassification.Status.values:
        raise ValueError("a person's classification is suggested, confirmed or rejected")
    previous = (
        ColumnClassification.objects.select_for_update()
        .filter(column=column, origin=ColumnClassification.Origin.PERSON)
        .first()
    )
    before = {"category": previous.category, "status": previous.status} if previous else None
    ColumnClassification.objects.filter(column=column, origin=ColumnClassification.Origin.PERSON).delete()
    decision = ColumnClassification.objects.create(
        column=column, category=category, sensitivity=sensitivity, origin=ColumnClassification.Origin.PERSON,
        status=status, note=note, decided_by=actor, decided_at=timezone.now(),
    )
    audit_record(actor=actor, action="column.classification_decide", obj=column, before=before,
                 after={"category": category, "status": status, "sensitivity": sensitivity}, request_id=request_id)
    pii_propagation_sync(project_ids=[column.asset.project_id])
    return decision
