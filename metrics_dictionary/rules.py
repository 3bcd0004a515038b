"""Who reviews a metric and how many approvals publish it: the one place for the tier rule.

The numbers come from ``settings.LEXICON_METRIC_APPROVAL_RULES`` (tier -> approvals,
governance approvals). Permission rules, services and the inbox all ask here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from lexicon_core.roles import ADMIN, GOVERNANCE_REVIEWER, METRIC_OWNER, has_role
from lexicon_core.tiers import TIERS, tier_label

# Roles that may take part in reviews at all (owners without one of these cannot approve).
REVIEW_ROLES = (METRIC_OWNER, GOVERNANCE_REVIEWER, ADMIN)


@dataclass(frozen=True)
class ApprovalRule:
    tier: int
    approvals: int
    governance: int

    def describe(self) -> str:
        text = f"{self.approvals} approval{'s' if self.approvals != 1 else ''}"
        if self.governance:
            text += f", {self.governance} of them by a governance reviewer"
        return text


def approval_rule(tier: int) -> ApprovalRule:
    """The rule for a tier; a tier without an entry needs one approval."""
    entry = settings.LEXICON_METRIC_APPROVAL_RULES.get(int(tier), {"approvals": 1, "governance": 0})
    return ApprovalRule(
        tier=int(tier), approvals=entry["approvals"], governance=entry["governance"]
    )


def governance_note() -> str:
    """Which tiers need a governance reviewer, in words: “tier 1 needs a governance
    reviewer's approval too” with the default rules; empty when none does."""
    tiers = [tier for tier in TIERS if approval_rule(tier).governance]
    if not tiers:
        return ""
    names = " and ".join(tier_label(tier).lower() for tier in tiers)
    return f"{names} need{'s' if len(tiers) == 1 else ''} a governance reviewer's approval too"


def is_metric_owner(user, metric) -> bool:
    """The user owns the metric directly or through one of their teams.

    A list page that prefetched the metric's owners (and their teams' members, as the inbox
    does) is answered from them, without a query per metric."""
    if not getattr(user, "is_authenticated", False) or metric is None or metric.pk is None:
        return False
    owners = getattr(metric, "_prefetched_objects_cache", {}).get("owners")
    if owners is not None:
        if any(o.user_id == user.pk for o in owners):
            return True
        teams = [o.team for o in owners if o.team_id is not None]
        if all("members" in getattr(t, "_prefetched_objects_cache", {}) for t in teams):
            return any(m.pk == user.pk for t in teams for m in t.members.all())
    return metric.owners.filter(Q(user=user) | Q(team__members=user)).exists()


def may_review(user, metric) -> tuple[bool, str]:
    """Whether ``user`` may review changes of ``metric`` at all (the proposer check is separate)."""
    if has_role(user, ADMIN, GOVERNANCE_REVIEWER):
        return True, ""
    if not has_role(user, METRIC_OWNER):
        return (
            False,
            "Only the metric's owners, governance reviewers and admins review metric changes.",
        )
    if is_metric_owner(user, metric):
        return True, ""
    return (
        False,
        f"You do not own the metric “{metric.name}”; its owners or a governance reviewer "
        "review it.",
    )


def metric_reviewers(metric) -> QuerySet:
    """Everyone who may review ``metric``: its owners with a reviewing role, governance
    reviewers, admins."""
    User = get_user_model()
    owners = Q(owned_metrics__metric=metric) | Q(lexicon_teams__owned_metrics__metric=metric)
    return (
        User.objects.filter(is_active=True)
        .filter(
            (owners & Q(groups__name=METRIC_OWNER))
            | Q(groups__name__in=[GOVERNANCE_REVIEWER, ADMIN])
            | Q(is_superuser=True)
        )
        .distinct()
        .order_by("username")
    )


def metric_owner_users(metric) -> QuerySet:
    """Users who own the metric directly or through a team (for notifications)."""
    User = get_user_model()
    return (
        User.objects.filter(is_active=True)
        .filter(Q(owned_metrics__metric=metric) | Q(lexicon_teams__owned_metrics__metric=metric))
        .distinct()
        .order_by("username")
    )


def is_governance_reviewer(user) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)
