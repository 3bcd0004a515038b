"""Every write a person makes in governance: validated, audited, one function each."""

from __future__ import annotations

from contextvars import ContextVar
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
from lexicon_core.tiers import TIERS


def audit_record(
    *, actor, action: str, obj: Any, before: Any = None, after: Any = None, request_id: str = ""
) -> AuditEvent:
    """Append one audit row. The request id is the current request's (``request.id``, set by
    ``RequestIdMiddleware``) unless one is given (a task acting for a request)."""
    from governance.middleware import current_request_id

    request_id = request_id or current_request_id()
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=getattr(actor, "username", "") or "",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        before=before,
        after=after,
        request_id=request_id,
    )


def _owner_snapshot(asset: Asset) -> list[dict[str, Any]]:
    return [
        {
            "user": a.user.username if a.user else None,
            "team": a.team.name if a.team else None,
            "type": a.owner_type,
        }
        for a in asset.owner_assignments.select_related("user", "team").order_by("id")
    ]


@transaction.atomic
def asset_owners_set(
    *,
    asset: Asset,
    users=(),
    teams: tuple[Team, ...] = (),
    owner_type: str = OwnerType.TECHNICAL,
    actor,
) -> list[AssetOwner]:
    """Replace the person-set owners of one type; dbt's owners stay recorded beside them."""
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    before = _owner_snapshot(asset)
    asset.owner_assignments.filter(owner_type=owner_type).delete()
    rows = [
        AssetOwner(asset=asset, user=u, owner_type=owner_type, assigned_by=actor) for u in users
    ]
    rows += [
        AssetOwner(asset=asset, team=t, owner_type=owner_type, assigned_by=actor) for t in teams
    ]
    AssetOwner.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        action="asset.owners_set",
        obj=asset,
        before=before,
        after=_owner_snapshot(asset),
    )
    return rows


@transaction.atomic
def asset_tier_set(*, asset: Asset, tier: int, reason: str = "", actor) -> AssetTier:
    if tier not in TIERS:
        raise ValueError("tier must be 1, 2 or 3")
    existing = AssetTier.objects.select_for_update().filter(asset=asset).first()
    before = {"tier": existing.tier} if existing else {"tier": asset.dbt_tier, "origin": "dbt"}
    decision, _ = AssetTier.objects.update_or_create(
        asset=asset, defaults={"tier": tier, "reason": reason, "decided_by": actor}
    )
    search_signals_set(asset.pk, tier=tier)
    audit_record(
        actor=actor,
        action="asset.tier_set",
        obj=asset,
        before=before,
        after={"tier": tier, "reason": reason},
    )
    return decision


@transaction.atomic
def asset_description_set(*, asset: Asset, text: str, actor):
    """A person's description of an asset; empty text goes back to dbt's. Audited."""
    from governance.models import AssetDescription

    text = text.strip()
    if len(text) > 20000:
        raise ValueError("text: a description is at most 20,000 characters")
    existing = AssetDescription.objects.select_for_update().filter(asset=asset).first()
    before = (
        {"text": existing.text, "origin": "person"}
        if existing
        else {"text": asset.description, "origin": "dbt"}
    )
    if text:
        decision, _ = AssetDescription.objects.update_or_create(
            asset=asset, defaults={"text": text, "written_by": actor}
        )
        after = {"text": text, "origin": "person"}
    else:
        AssetDescription.objects.filter(asset=asset).delete()
        decision, after = None, {"text": asset.description, "origin": "dbt"}
    if after != before:
        audit_record(
            actor=actor, action="asset.description_set", obj=asset, before=before, after=after
        )
    return decision


@transaction.atomic
def asset_tier_clear(*, asset: Asset, actor) -> None:
    """Drop a reviewer's tier so dbt's applies again; audited when there was one."""
    existing = AssetTier.objects.select_for_update().filter(asset=asset).first()
    if existing is None:
        return
    existing.delete()
    search_signals_set(asset.pk, tier=asset.dbt_tier)
    audit_record(
        actor=actor,
        action="asset.tier_set",
        obj=asset,
        before={"tier": existing.tier},
        after={"tier": asset.dbt_tier, "origin": "dbt"},
    )


@transaction.atomic
def column_classification_decide(
    *,
    column: Column,
    category: str,
    status: str,
    actor,
    sensitivity: str = ColumnClassification.Sensitivity.MEDIUM,
    note: str = "",
) -> ColumnClassification:
    """A person's PII classification of a column (confirm a category, reject PII, or
    suggest one for another reviewer); lineage suggestions follow (``governance.pii``)."""
    from governance.pii.sync import pii_propagation_sync

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
    ColumnClassification.objects.filter(
        column=column, origin=ColumnClassification.Origin.PERSON
    ).delete()
    decision = ColumnClassification.objects.create(
        column=column,
        category=category,
        sensitivity=sensitivity,
        origin=ColumnClassification.Origin.PERSON,
        status=status,
        note=note,
        decided_by=actor,
        decided_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="column.classification_decide",
        obj=column,
        before=before,
        after={"category": category, "status": status, "sensitivity": sensitivity},
    )
    pii_propagation_sync(project_ids=[column.asset.project_id])
    return decision


POLICY_FIELDS = (
    "freshness_sla_hours",
    "required_tests",
    "description_required",
    "column_docs_target_pct",
    "owner_required",
    "pii_review_required",
)


class PolicyError(ValueError):
    """A tier policy change that cannot be stored; the message names the field."""


def _policy_snapshot(policy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in POLICY_FIELDS}


@transaction.atomic
def tier_policy_update(*, tier: int, actor, **changes: Any):
    """Change a tier's policy (creating its row from the defaults on first edit), audited."""
    from governance.models import TierPolicy
    from governance.policies import default_policy

    if tier not in TIERS:
        raise PolicyError(f"tier: {tier!r} is not 1, 2 or 3")
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise PolicyError(f"unknown policy field(s): {', '.join(sorted(unknown))}")
    hours = changes.get("freshness_sla_hours")
    if hours is not None and (
        not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 24 * 366
    ):
        raise PolicyError(
            "freshness_sla_hours: a whole number of hours from 1 to 8784, or empty for no SLA"
        )
    pct = changes.get("column_docs_target_pct")
    if pct is not None and (
        not isinstance(pct, int) or isinstance(pct, bool) or not 0 <= pct <= 100
    ):
        raise PolicyError("column_docs_target_pct: a whole number from 0 to 100")
    if "required_tests" in changes:
        tests = changes["required_tests"]
        if not isinstance(tests, list | tuple) or not all(
            isinstance(t, str) and t.strip() for t in tests
        ):
            raise PolicyError(
                'required_tests: a list of dbt test names, e.g. ["unique", "not_null"]'
            )
        changes["required_tests"] = list(dict.fromkeys(t.strip() for t in tests))
    policy = TierPolicy.objects.select_for_update().filter(tier=tier).first() or default_policy(
        tier
    )
    before = _policy_snapshot(policy)
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.updated_by = actor
    policy.save()
    after = _policy_snapshot(policy)
    if after != before:
        audit_record(
            actor=actor,
            action="policy.update",
            obj=policy,
            before={k: v for k, v in before.items() if before[k] != after[k]},
            after={k: v for k, v in after.items() if before[k] != after[k]},
        )
    return policy


def _team_snapshot(team: Team) -> dict[str, Any]:
    return {
        "name": team.name,
        "email": team.email,
        "members": sorted(team.members.values_list("username", flat=True)),
    }


@transaction.atomic
def team_save(*, team: Team | None = None, name: str, email: str = "", members=(), actor) -> Team:
    """Create a team or change its name, email and members, audited."""
    name = name.strip()
    if not name:
        raise ValueError("name: a team needs a name")
    clash = Team.objects.filter(name__iexact=name)
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise ValueError(f"name: a team called {name!r} exists already")
    before = _team_snapshot(team) if team is not None else None
    if team is None:
        team = Team.objects.create(name=name, email=email)
    else:
        team = Team.objects.select_for_update().get(pk=team.pk)
        team.name, team.email = name, email
        team.save(update_fields=["name", "email"])
    team.members.set(members)
    after = _team_snapshot(team)
    if after != before:
        audit_record(
            actor=actor,
            action="team.create" if before is None else "team.update",
            obj=team,
            before=before,
            after=after,
        )
    return team


# Group changes made elsewhere (Django admin, shell, create_demo_users) are audited by a
# signal receiver (governance.apps); user_roles_set audits its own change once instead.
_role_signal_muted: ContextVar[bool] = ContextVar("lexicon_role_signal_muted", default=False)


def _roles_of(user) -> list[str]:
    from lexicon_core.roles import ROLES

    return sorted(user.groups.filter(name__in=ROLES).values_list("name", flat=True))


@transaction.atomic
def user_roles_set(*, user, roles: list[str], actor) -> list[str]:
    """Give a user exactly these roles (Django groups), audited as one change."""
    from django.contrib.auth.models import Group
    from django.db.models import Q

    from lexicon_core.roles import ADMIN, ROLES

    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"roles: unknown role(s) {', '.join(sorted(unknown))}")
    before = _roles_of(user)
    if ADMIN in before and ADMIN not in roles:
        from django.contrib.auth import get_user_model

        others = (
            get_user_model()
            .objects.filter(is_active=True)
            .exclude(pk=user.pk)
            .filter(Q(groups__name=ADMIN) | Q(is_superuser=True))
        )
        if not others.exists():
            raise ValueError(
                f"roles: {user.get_username()} is the last admin; make someone else admin first"
            )
    groups = [Group.objects.get_or_create(name=role)[0] for role in roles]
    token = _role_signal_muted.set(True)
    try:
        user.groups.remove(*user.groups.filter(name__in=ROLES).exclude(name__in=roles))
        user.groups.add(*groups)
    finally:
        _role_signal_muted.reset(token)
    user.__dict__.pop("_lexicon_roles", None)
    after = _roles_of(user)
    if after != before:
        audit_record(
            actor=actor,
            action="user.roles_set",
            obj=user,
            before={"roles": before},
            after={"roles": after},
        )
    return after


def _request_actor():
    """The signed-in user of the request being served, for changes made by receivers
    (None in a shell, a command or a task)."""
    from governance.middleware import current_request

    request = current_request()
    actor = getattr(request, "user", None) if request is not None else None
    return actor if getattr(actor, "is_authenticated", False) else None


def group_membership_audit(
    *, sender, instance, action: str, reverse: bool, pk_set, **kwargs
) -> None:
    """``m2m_changed`` receiver for ``User.groups``: one audit row per user whose groups changed."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    if _role_signal_muted.get() or action not in (
        "post_add",
        "post_remove",
        "pre_clear",
        "post_clear",
    ):
        return
    if action == "pre_clear":
        # The cleared names are gone by post_clear; keep them on the instance until then.
        instance._lexicon_cleared = (
            list(instance.groups.values_list("name", flat=True))
            if not reverse
            else list(instance.user_set.values_list("pk", flat=True))
        )
        return
    actor = _request_actor()
    User = get_user_model()
    if not reverse:
        users = [instance]
        names = (
            sorted(Group.objects.filter(pk__in=pk_set or ()).values_list("name", flat=True))
            if action != "post_clear"
            else sorted(getattr(instance, "_lexicon_cleared", []))
        )
        changes = {instance.pk: names}
    else:
        user_ids = pk_set if action != "post_clear" else getattr(instance, "_lexicon_cleared", [])
        users = list(User.objects.filter(pk__in=user_ids or ()))
        changes = {u.pk: [instance.name] for u in users}
    verb = "added" if action == "post_add" else "removed"
    for user in users:
        if not changes.get(user.pk):
            continue
        user.__dict__.pop("_lexicon_roles", None)
        after = sorted(user.groups.values_list("name", flat=True))
        audit_record(
            actor=actor,
            action="user.groups_changed",
            obj=user,
            before={
                "groups": sorted(set(after) - set(changes[user.pk]))
                if verb == "added"
                else sorted(set(after) | set(changes[user.pk]))
            },
            after={"groups": after},
        )


ACCOUNT_FLAGS = ("is_superuser", "is_staff", "is_active")


def account_flags_remember(*, sender, instance, **kwargs) -> None:
    """``pre_save`` receiver for the user model: the stored superuser/staff/active flags,
    so that ``account_flags_audit`` can tell what a save changed."""
    update_fields = kwargs.get("update_fields")
    if instance.pk is None or (
        update_fields is not None and not set(update_fields) & set(ACCOUNT_FLAGS)
    ):
        instance._lexicon_flags = None  # a login's last_login update costs no extra query
        return
    stored = sender.objects.filter(pk=instance.pk).values(*ACCOUNT_FLAGS).first()
    instance._lexicon_flags = stored


def account_flags_audit(*, sender, instance, created: bool, **kwargs) -> None:
    """``post_save`` receiver: granting or revoking superuser or staff rights, and
    deactivating or reactivating an account, are permission changes wherever they are made
    (admin, shell, ``createsuperuser``). A new account is audited only if it is privileged."""
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not set(update_fields) & set(ACCOUNT_FLAGS):
        return
    now = {flag: bool(getattr(instance, flag)) for flag in ACCOUNT_FLAGS}
    stored = getattr(instance, "_lexicon_flags", None)
    if created or stored is None:
        if not (now["is_superuser"] or now["is_staff"]):
            return
        before = None
    else:
        before = {flag: bool(stored[flag]) for flag in ACCOUNT_FLAGS}
        if before == now:
            return
    actor = _request_actor()
    audit_record(actor=actor, action="user.flags_changed", obj=instance, before=before, after=now)
