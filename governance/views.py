from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from catalog.models import Asset
from catalog.permissions import ROLE_DESCRIPTIONS, can_view_catalog, view_requires
from governance.selectors import asset_history, effective_owners, effective_tier


@view_requires(can_view_catalog)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "governance/index.html", {"roles": ROLE_DESCRIPTIONS})


@view_requires(can_view_catalog)
@require_GET
def asset_history_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The History tab of an asset page: ingest changes and people's edits together."""
    asset = get_object_or_404(Asset, pk=pk)
    return render(request, "governance/partials/_asset_history.html", {"asset": asset, "entries": asset_history(asset)})


@view_requires(can_view_catalog)
@require_GET
def asset_owners_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """Effective owners (a person's choice, else dbt's) with their type and origin."""
    asset = get_object_or_404(Asset, pk=pk)
    tier, tier_origin = effective_tier(asset)
    return render(request, "governance/partials/_asset_owners.html",
                  {"asset": asset, "owners": effective_owners(asset), "tier": tier, "tier_origin": tier_origin})
