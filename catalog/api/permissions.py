"""DRF permission classes wrapping the shared predicates in ``catalog.permissions``."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from catalog.permissions import can_ingest, can_view_catalog


class CanViewCatalog(BasePermission):
    message = "Your account has no role that allows reading the catalog."

    def has_permission(self, request, view) -> bool:
        return bool(
            request.user and request.user.is_authenticated and can_view_catalog(request.user)
        )


class CanIngest(BasePermission):
    message = "Only admins may ingest artifacts."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and can_ingest(request.user))
