"""The five roles of Lexicon (Django groups) and the predicates every app shares.

Object-level rules (metric owners, tier-1 approvals) build on these in the apps' ``rules``
modules, through the one gate in ``lexicon_core.permissions``.
"""

from __future__ import annotations

from typing import Final

VIEWER: Final = "viewer"
ANALYST: Final = "analyst"
METRIC_OWNER: Final = "metric_owner"
GOVERNANCE_REVIEWER: Final = "governance_reviewer"
ADMIN: Final = "admin"

ROLES: Final[tuple[str, ...]] = (VIEWER, ANALYST, METRIC_OWNER, GOVERNANCE_REVIEWER, ADMIN)

ROLE_DESCRIPTIONS: Final[dict[str, str]] = {
    VIEWER: "Reads the catalog, lineage and metric definitions.",
    ANALYST: "Reads everything; proposes metric changes and comments.",
    METRIC_OWNER: "Reviews and approves changes to the metrics they own.",
    GOVERNANCE_REVIEWER: (
        "Classifies PII, sets tiers and owners, approves tier-1 metric changes, "
        "manages policies and teams."
    ),
    ADMIN: "Everything, including users and ingest sources.",
}


def user_roles(user) -> set[str]:
    """The role names a user holds; superusers hold every role."""
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return set(ROLES)
    cached = getattr(user, "_lexicon_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        user._lexicon_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def can_view_catalog(user) -> bool:
    """Any role may read the catalog; a signed-in user without a role (outsider) may not."""
    return bool(user_roles(user))


def can_ingest(user) -> bool:
    """Uploading artifacts and logs changes the catalog for everyone: admins only."""
    return has_role(user, ADMIN)
