from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog.permissions import ROLE_DESCRIPTIONS, can_view_catalog, view_requires


@view_requires(can_view_catalog)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "governance/index.html", {"roles": ROLE_DESCRIPTIONS})
