"""DRF permission driven by ``governance.permissions.check``: the API asks the same rules as pages."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from governance.permissions import check


def Allows(action: str, *, write: str | None = None) -> type[BasePermission]:  # noqa: N802 - reads like a class
    """A permission class allowing ``action`` (and ``write`` for unsafe methods, when given).

    ``permission_classes = [Allows("catalog.view", write="policy.edit")]``. Object-level
    rules get the object through ``has_object_permission`` (``get_object()``).
    """

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
