from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from catalog.models import Asset
from catalog.permissions import can_view_catalog, view_requires
from lineage.selectors import asset_neighbours


@view_requires(can_view_catalog)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "lineage/index.html", {})


@view_requires(can_view_catalog)
@require_GET
def asset_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The Lineage tab of an asset page: what it reads from and what reads from it."""
    asset = get_object_or_404(Asset, pk=pk)
    return render(request, "lineage/partials/_asset_panel.html", {"asset": asset, **asset_neighbours(asset)})


@view_requires(can_view_catalog)
@require_GET
def asset_usage_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The Usage tab: query-log usage of the asset."""
    asset = get_object_or_404(Asset, pk=pk)
    return render(request, "lineage/partials/_usage_panel.html", {"asset": asset})
