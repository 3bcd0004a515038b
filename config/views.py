from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from catalog.selectors import catalog_overview
from config.health import health_report
from lexicon_core.permissions import allowed


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The front door: what is in the catalog, or what to do first when it is empty."""
    return render(
        request,
        "home.html",
        {"overview": catalog_overview(), "perms_can_ingest": allowed(request.user, "ingest.run")},
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Unauthenticated by design (load balancers call it); reports statuses, no data."""
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
