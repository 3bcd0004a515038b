"""Small htmx fragments other pages include by URL name (banners)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from catalog.models import Asset
from lexicon_core.generation import cached_fragment
from lexicon_core.permissions import view_allows
from metrics_dictionary import selectors
from metrics_dictionary.models import Metric


@view_allows("catalog.view")
@require_GET
@cached_fragment()
def asset_deprecation_banner(request: HttpRequest, pk: int) -> HttpResponse:
    """The deprecation notice of a catalog asset (empty when it has none); on a metric
    asset, a link to its governed definition in the dictionary."""
    asset = get_object_or_404(Asset, pk=pk)
    notice = selectors.asset_deprecation(asset)
    return render(
        request,
        "metrics_dictionary/partials/_asset_deprecation_banner.html",
        {
            "asset": asset,
            "notice": notice,
            "metrics": list(asset.dictionary_metrics.order_by("name")),
        },
    )


@view_allows("catalog.view")
@require_GET
def metric_banner(request: HttpRequest, slug: str) -> HttpResponse:
    """Retired / deprecated / needs-attention banners of one metric."""
    try:
        metric = selectors.metric_get(slug)
    except Metric.DoesNotExist:
        raise Http404("No such metric") from None
    return render(
        request,
        "metrics_dictionary/partials/_metric_banners.html",
        {"metric": metric, "banners": selectors.metric_banners(metric)},
    )
