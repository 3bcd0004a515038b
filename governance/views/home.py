"""The governance landing page: the roles, the role × action matrix, the projects' patches."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog.models import Project
from lexicon_core.permissions import role_matrix, view_allows
from lexicon_core.roles import ROLE_DESCRIPTIONS, ROLES


@view_allows("catalog.view")
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    matrix = [(action, text, [cells[r] for r in ROLES]) for action, text, cells in role_matrix()]
    return render(
        request,
        "governance/index.html",
        {
            "roles": ROLE_DESCRIPTIONS,
            "role_names": ROLES,
            "matrix": matrix,
            "projects": Project.objects.order_by("name"),
        },
    )
