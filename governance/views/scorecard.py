"""The scorecard page and the drill-down of one number (its failing assets)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from governance.scorecard import failing_assets, scorecard_compute, scorecard_kpi, scorecard_trends
from lexicon_core.htmx import render_page
from lexicon_core.permissions import view_allows


@view_allows("scorecard.view")
@require_GET
def scorecard_page(request: HttpRequest) -> HttpResponse:
    kpis = scorecard_compute()
    trends = scorecard_trends()
    labels = {k.key: k.label for k in kpis}
    chart = {
        "labels": trends["labels"],
        "series": [
            {"label": labels.get(s["key"], s["key"]), "points": s["points"]}
            for s in trends["series"]
        ],
    }
    return render(
        request,
        "governance/scorecard.html",
        {"kpis": kpis, "chart": chart, "has_trend": bool(trends["labels"])},
    )


@view_allows("scorecard.view")
@require_GET
def scorecard_drilldown(request: HttpRequest, key: str) -> HttpResponse:
    try:
        kpi = scorecard_kpi(key)
    except LookupError:
        raise Http404(f"No scorecard number {key!r}.") from None
    page = Paginator(failing_assets(kpi), 100).get_page(request.GET.get("page"))
    return render_page(request, "governance/scorecard_drilldown.html", {"kpi": kpi, "page": page})
