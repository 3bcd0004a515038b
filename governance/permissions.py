"""May this user do this to this object? One answer for pages and API alike.

Role predicates live in ``catalog.permissions`` (the lowest app). Actions are named
``<area>.<verb>`` and answered here by registered rules; apps above ``governance``
(the metric dictionary) register theirs at start-up (``AppConfig.ready``), so pages,
API endpoints and the role × action matrix all ask ``check`` and nothing else.

A rule returns a ``Decision``; a refusal carries a reason a person can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from catalog.permissions import (
    ADMIN,
    GOVERNANCE_REVIEWER,
    can_ingest,
    can_view_catalog,
    has_role,
)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)
Rule = Callable[[Any, Any], Decision | bool]

_RULES: dict[str, Rule] = {}
_DESCRIPTIONS: dict[str, str] = {}


def rule(action: str, description: str) -> Callable[[Rule], Rule]:
    """Register the rule that answers ``action``; one rule per action."""

    def decorator(fn: Rule) -> Rule:
        if action in _RULES and _RULES[action] is not fn:
            raise ValueError(f"a rule for {action!r} is already registered")
        _RULES[action] = fn
        _DESCRIPTIONS[action] = description
        return fn

    return decorator


def actions() -> dict[str, str]:
    """Every registered action with its description (for the documented matrix)."""
    return dict(sorted(_DESCRIPTIONS.items()))


def check(user, action: str, obj: Any = None) -> Decision:
    """The decision for ``user`` doing ``action`` (to ``obj``, for object-level rules)."""
    try:
        fn = _RULES[action]
    except KeyError:
        raise LookupError(f"no permission rule for {action!r}") from None
    if not getattr(user, "is_authenticated", False):
        return Decision(False, "Sign in first.")
    if not can_view_catalog(user):
        return Decision(False, "Your account has no role. Ask an admin to give you one.")
    result = fn(user, obj)
    if isinstance(result, Decision):
        return result
    return (
        ALLOW
        if result
        else Decision(False, f"Your role does not allow {_DESCRIPTIONS[action].lower()}.")
    )


def allowed(user, action: str, obj: Any = None) -> bool:
    return check(user, action, obj).allowed


def view_allows(action: str, get_object: Callable[..., Any] | None = None):
    """Page-view decorator: sign-in first, then ``check(user, action, obj)`` or 403 with the reason.

    ``get_object(request, *args, **kwargs)`` loads the object for object-level rules.
    """
    from django.contrib.auth.views import redirect_to_login
    from django.core.exceptions import PermissionDenied

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            obj = get_object(request, *args, **kwargs) if get_object else None
            decision = check(request.user, action, obj)
            if not decision:
                raise PermissionDenied(decision.reason)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# ---------------------------------------------------------------------------- built-in rules


@rule("catalog.view", "Reading the catalog, lineage and metric definitions")
def _catalog_view(user, obj) -> bool:
    return True  # any role; ``check`` already refused users without one


@rule("ingest.run", "Uploading dbt artifacts or query logs")
def _ingest_run(user, obj) -> bool:
    return can_ingest(user)


@rule("asset.set_owners", "Setting owners of an asset")
def _asset_set_owners(user, obj) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)


@rule("asset.set_tier", "Setting the tier of an asset")
def _asset_set_tier(user, obj) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)


@rule("column.classify", "Classifying columns (PII)")
def _column_classify(user, obj) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)


@rule("users.manage", "Managing users and roles")
def _users_manage(user, obj) -> bool:
    return has_role(user, ADMIN)


# ---- policies, teams, audit (issue 8a)


@rule("policy.edit", "Editing tier policies")
def _policy_edit(user, obj) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)


@rule("team.manage", "Creating teams and changing their members")
def _team_manage(user, obj) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)


@rule("asset.describe", "Writing the description of an asset")
def _asset_describe(user, obj) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)


@rule("audit.view", "Reading the audit log")
def _audit_view(user, obj) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)


class _RoleHolder:
    """A stand-in user holding exactly one role, to tabulate role-level rules."""

    is_authenticated = True
    is_superuser = False
    is_active = True
    pk = id = None
    email = username = ""

    def __init__(self, role: str):
        self._lexicon_roles = {role}
        self.username = f"<{role}>"

    def get_username(self) -> str:
        return self.username


def role_matrix() -> list[tuple[str, str, dict[str, bool]]]:
    """(action, description, {role: allowed}) for every registered action, without an object.

    Object-level rules (a metric owner approving *their* metric) answer here for "no
    object"; their own tests cover the object cases.
    """
    from catalog.permissions import ROLES

    holders = {role: _RoleHolder(role) for role in ROLES}
    out = []
    for action, description in actions().items():
        out.append(
            (
                action,
                description,
                {role: check(holder, action).allowed for role, holder in holders.items()},
            )
        )
    return out


def role_matrix_markdown() -> str:
    """The documented matrix (docs/permissions.md), generated from the registry."""
    from catalog.permissions import ROLE_DESCRIPTIONS, ROLES

    lines = [
        "# Permissions: role × action",
        "",
        "Generated from the rules in `governance/permissions.py` by",
        "`python manage.py permissions_matrix --write docs/permissions.md`; a test fails when",
        "this file and the rules disagree. Pages and the API ask the same rules",
        "(`check(user, action, obj)`, `view_allows`, `governance.api.permissions.Allows`);",
        "catalog and lineage pages use the same role predicates from `catalog/permissions.py`",
        "that the `catalog.view` and `ingest.run` rules wrap. A signed-in user without a role",
        "may do nothing; an anonymous visitor is sent to sign in (pages) or gets 403",
        '"Authentication credentials were not provided" (API).',
        "",
        "## Roles",
        "",
    ]
    lines += [f"- **{role}**: {text}" for role, text in ROLE_DESCRIPTIONS.items()]
    lines += [
        "",
        "## Matrix",
        "",
        "| action | what | " + " | ".join(ROLES) + " |",
        "|---|---|" + "---|" * len(ROLES),
    ]
    for action, description, cells in role_matrix():
        lines.append(
            f"| `{action}` | {description} | "
            + " | ".join("yes" if cells[r] else "—" for r in ROLES)
            + " |"
        )
    lines += [
        "",
        "Object-level rules (e.g. a metric owner reviewing their own metrics) are shown for",
        '"no particular object"; the rule\'s tests cover the per-object answers.',
        "",
    ]
    return "\n".join(lines)


# ---- PII classification and scorecard (issue 8b)


@rule("scorecard.view", "Reading the governance scorecard")
def _scorecard_view(user, obj) -> bool:
    return (
        True  # every role may see how governed the catalog is; ``check`` refused users without one
    )
