"""May this user do this to this object? The one gate, for pages and API alike.

Actions are named ``<area>.<verb>``; each app registers the rules that answer its actions
in its ``rules`` module (imported by its ``AppConfig.ready``), so pages (``view_allows``),
API endpoints (``Allows``) and the role × action matrix all ask ``check`` and nothing else.
Role predicates are in ``lexicon_core.roles``.

A rule returns a ``Decision``; a refusal carries a reason a person can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from lexicon_core.roles import ROLE_DESCRIPTIONS, ROLES, can_view_catalog


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


def Allows(action: str, *, write: str | None = None):  # noqa: N802 - reads like a class
    """A DRF permission class allowing ``action`` (and ``write`` for unsafe methods, when given).

    ``permission_classes = [Allows("catalog.view", write="policy.edit")]``. Object-level
    rules get the object through ``has_object_permission`` (``get_object()``).
    """
    from rest_framework.permissions import SAFE_METHODS, BasePermission

    class _Allows(BasePermission):
        message = "You may not do this."

        def _action(self, request) -> str:
            return write if write and request.method not in SAFE_METHODS else action

        def _decide(self, request, obj=None) -> bool:
            decision = check(request.user, self._action(request), obj)
            if not decision:
                self.message = decision.reason
            return decision.allowed

        def has_permission(self, request, view) -> bool:
            return self._decide(request)

        def has_object_permission(self, request, view, obj) -> bool:
            return self._decide(request, obj)

    _Allows.__name__ = _Allows.__qualname__ = f"Allows[{action}{', ' + write if write else ''}]"
    return _Allows


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
    lines = [
        "# Permissions: role × action",
        "",
        "Generated from the rules registered in `lexicon_core.permissions` "
        "(each app's `permissions.py`) by",
        "`python manage.py permissions_matrix --write docs/permissions.md`; a test fails when",
        "this file and the rules disagree. Pages and the API ask the same rules",
        "(`check(user, action, obj)`, `view_allows`, `Allows`). A signed-in user without a role",
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
