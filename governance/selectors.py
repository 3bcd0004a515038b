"""Effective values: a person's decision when there is one, else what dbt says."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from catalog.models import Asset, Column
from governance.models import AssetTier, ColumnClassification


@dataclass(frozen=True)
class EffectiveOwner:
    display: str
    owner_type: str
    origin: str  # "person" or "dbt"
    user_id: int | None = None
    team_id: int | None = None


def effective_owners(asset: Asset) -> list[EffectiveOwner]:
    people = list(asset.owner_assignments.select_related("user", "team"))
    if people:
        return [
            EffectiveOwner(
                display=(a.user.get_full_name() or a.user.username) if a.user else a.team.name,
                owner_type=a.owner_type, origin="person", user_id=a.user_id, team_id=a.team_id,
            )
            for a in people
        ]
    users = {
        u.email.lower(): u
        for u in get_user_model().objects.filter(email__in=[o for o in asset.dbt_owners if "@" in o])
    }
    out = []
    for owner in asset.dbt_owners:
        user = users.get(owner.lower())
        out.append(EffectiveOwner(display=(user.get_full_name() or user.username) if user else owner,
                                  owner_type="technical", origin="dbt", user_id=user.pk if user else None))
    return out


def effective_tier(asset: Asset) -> tuple[int | None, str]:
    decision = AssetTier.objects.filter(asset=asset).first()
    if decision:
        return decision.tier, "person"
    return asset.dbt_tier, "dbt" if asset.dbt_tier else ""


@dataclass(frozen=True)
class EffectivePii:
    is_pii: bool | None  # None: nobody knows yet
    category: str
    origin: str
    status: str


def effective_pii(column: Column) -> EffectivePii:
    person = ColumnClassification.objects.filter(column=column, origin=ColumnClassification.Origin.PERSON).first()
    if person:
        rejected = person.status == ColumnClassification.Status.REJECTED or person.category == "none"
        return EffectivePii(not rejected, person.category, "person", person.status)
    if column.dbt_pii:
        return EffectivePii(True, "", "dbt", "suggested")
    return EffectivePii(None, "", "", "")
