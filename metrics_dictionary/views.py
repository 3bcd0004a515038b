from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog.permissions import can_view_catalog, view_requires
from metrics_dictionary import selectors
from metrics_dictionary.models import Metric, MetricVersion


@view_requires(can_view_catalog)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "metrics_dictionary/index.html", {})


def _metric_or_404(slug: str) -> Metric:
    try:
        return selectors.metric_get(slug)
    except Metric.DoesNotExist:
        raise Http404(f"No metric {slug!r}") from None


@view_requires(can_view_catalog)
@require_GET
def metric_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Placeholder until the metric page lands (pages helper)."""
    metric = _metric_or_404(slug)
    return HttpResponse(f"{metric.name}", content_type="text/plain")


@view_requires(can_view_catalog)
@require_GET
def version_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Placeholder until the version page lands (pages helper)."""
    metric = _metric_or_404(slug)
    try:
        version = selectors.version_get(metric, number)
    except MetricVersion.DoesNotExist:
        raise Http404("No such version") from None
    return HttpResponse(f"{metric.name} v{version.number}", content_type="text/plain")
