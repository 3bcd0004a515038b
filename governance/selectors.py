"""Effective values: a person's decision when there is one, else what dbt says."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from catalog.models import Asset

# Id lists go to the database in slices: PostgreSQL takes at most 65,535 parameters a query.
CHUNK = 2000


def chunked(ids: Iterable[int], size: int = CHUNK) -> Iterable[list[int]]:
    ids = sorted(set(ids))
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


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
                owner_type=a.owner_type,
                origin="person",
                user_id=a.user_id,
                team_id=a.team_id,
            )
            for a in people
        ]
    users = owners_from_names(
        [o for o in asset.dbt_owners if "@" in o], teams=False, emails=True
    ).user_by_name
    out = []
    for owner in asset.dbt_owners:
        user = users.get(owner.strip())
        out.append(
            EffectiveOwner(
                display=(user.get_full_name() or user.username) if user else owner,
                owner_type="technical",
                origin="dbt",
                user_id=user.pk if user else None,
            )
        )
    return out


class EffectiveTier(NamedTuple):
    tier: int | None
    origin: str  # "person" (a reviewer's decision), "dbt", or "" when the asset has no tier


NO_TIER = EffectiveTier(None, "")


def effective_tiers(assets: Iterable[int] | QuerySet[Asset]) -> dict[int, EffectiveTier]:
    """Asset id -> its effective tier and where it comes from: a reviewer's decision
    (``AssetTier``), else dbt's. ``assets``: ids (one query per 2,000) or a queryset of
    assets (one query). The one rule; ``effective_tier_filter`` is the same rule in SQL."""
    querysets = (
        [assets]
        if isinstance(assets, QuerySet)
        else (Asset.objects.filter(pk__in=chunk) for chunk in chunked(assets))
    )
    out: dict[int, EffectiveTier] = {}
    for queryset in querysets:
        for pk, decided, dbt in queryset.values_list("pk", "tier_decision__tier", "dbt_tier"):
            if decided is not None:
                out[pk] = EffectiveTier(decided, "person")
            else:
                out[pk] = EffectiveTier(dbt, "dbt") if dbt else NO_TIER
    return out


def tier_search_signals(asset_ids: list[int]) -> dict[int, dict]:
    """The reviewers' tiers as search signals (registered with catalog's search)."""
    from governance.models import AssetTier

    decided = AssetTier.objects.filter(asset_id__in=asset_ids).values_list("asset_id", "tier")
    return {asset_id: {"tier": tier} for asset_id, tier in decided}


def effective_tier(asset: Asset) -> EffectiveTier:
    return effective_tiers([asset.pk]).get(asset.pk, NO_TIER)


def effective_tier_filter(tier: int | None, through: str = "") -> Q:
    """A filter on the effective tier (None: no tier) of the asset reached by ``through``
    (e.g. ``"column__asset__"``; empty: a filter on Asset itself)."""
    if tier is None:
        return Q(**{f"{through}tier_decision__isnull": True, f"{through}dbt_tier__isnull": True})
    return Q(**{f"{through}tier_decision__tier": tier}) | Q(
        **{f"{through}tier_decision__isnull": True, f"{through}dbt_tier": tier}
    )


def asset_history(asset: Asset, limit: int = 100) -> list[dict]:
    """Ingest changes and human edits of an asset, newest first, in one list."""
    from catalog.models import AssetChange
    from governance.models import AuditEvent

    entries = [
        {
            "at": c.created_at,
            "who": f"ingest run #{c.ingest_run_id}",
            "run_id": c.ingest_run_id,
            "what": c.get_action_display(),
            "detail": ", ".join(c.fields),
            "origin": "dbt",
        }
        for c in AssetChange.objects.filter(asset=asset).order_by("-created_at", "-id")[:limit]
    ]
    column_ids = [str(pk) for pk in asset.columns.values_list("pk", flat=True)]
    events = AuditEvent.objects.filter(
        object_type="catalog.asset", object_id=str(asset.pk)
    ) | AuditEvent.objects.filter(object_type="catalog.column", object_id__in=column_ids)
    for e in events.order_by("-at", "-id")[:limit]:
        entries.append(
            {
                "at": e.at,
                "who": e.actor_name or "unknown",
                "run_id": None,
                "what": e.action,
                "detail": f"{e.object_repr}: {e.before} → {e.after}",
                "origin": "person",
            }
        )
    return sorted(entries, key=lambda row: row["at"], reverse=True)[:limit]


@dataclass(frozen=True)
class EffectiveDescription:
    text: str
    origin: str  # "person", "dbt" or "" when there is none
    written_by: str = ""
    written_at: object = None


def effective_description(asset: Asset) -> EffectiveDescription:
    from governance.models import AssetDescription

    person = AssetDescription.objects.select_related("written_by").filter(asset=asset).first()
    if person:
        return EffectiveDescription(
            person.text,
            "person",
            person.written_by.get_username() if person.written_by else "",
            person.written_at,
        )
    return EffectiveDescription(asset.description, "dbt" if asset.description.strip() else "")


@dataclass(frozen=True)
class ResolvedOwners:
    """Names resolved to owners, in the order given; ``unknown`` names match no one."""

    users: list
    teams: list
    unknown: list[str]
    user_by_name: dict  # each resolved name -> its user


def owners_from_names(
    names: list[str], *, users: bool = True, teams: bool = True, emails: bool = False
) -> ResolvedOwners:
    """Usernames of active accounts (and their emails, when ``emails``: dbt names owners by
    email) and team names, as owners; either kind can be switched off.

    A name that is both a username and a team name is the user. Every page, form, API
    endpoint and import that takes owners by name asks this, so all accept the same names.
    """
    from governance.models import Team

    wanted = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
    by_name: dict = {}
    if users and wanted:
        match = Q(username__in=wanted)
        if emails:
            lowered = {n.lower(): n for n in wanted if "@" in n}
            for email in lowered:
                match |= Q(email__iexact=email)
        for user in get_user_model().objects.filter(match, is_active=True).order_by("pk"):
            if user.username in wanted:
                by_name.setdefault(user.username, user)
            if emails and user.email and user.email.lower() in lowered:
                by_name.setdefault(lowered[user.email.lower()], user)
    found_teams = (
        {t.name: t for t in Team.objects.filter(name__in=wanted)} if teams and wanted else {}
    )
    resolved_users = list(dict.fromkeys(by_name[n] for n in wanted if n in by_name))
    return ResolvedOwners(
        users=resolved_users,
        teams=[found_teams[n] for n in wanted if n in found_teams and n not in by_name],
        unknown=[n for n in wanted if n not in by_name and n not in found_teams],
        user_by_name=by_name,
    )
