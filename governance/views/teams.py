"""Teams (anyone sees them, team managers edit them) and people's roles (admins)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance import services
from governance.forms import TeamForm, UserRolesForm
from governance.models import Team
from lexicon_core.htmx import render_page
from lexicon_core.permissions import allowed, view_allows
from lexicon_core.roles import ROLES


@view_allows("catalog.view")
@require_GET
def teams(request: HttpRequest) -> HttpResponse:
    return render_page(
        request,
        "governance/teams.html",
        {
            "teams": Team.objects.prefetch_related("members").order_by("name"),
            "can_manage": allowed(request.user, "team.manage"),
            "form": TeamForm(),
        },
    )


@view_allows("team.manage")
@require_POST
def team_save(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create a team (no pk) or replace a team's name, email and members."""
    team = get_object_or_404(Team, pk=pk) if pk else None
    form = TeamForm(request.POST)
    if form.is_valid():
        try:
            services.team_save(team=team, actor=request.user, **form.cleaned_data)
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Team {form.cleaned_data['name']} saved.")
            return redirect("governance:teams")
    return render_page(
        request,
        "governance/teams.html",
        {
            "teams": Team.objects.prefetch_related("members").order_by("name"),
            "can_manage": True,
            "form": form,
            "editing": team,
        },
        status=400,
    )


@view_allows("users.manage")
@require_http_methods(["GET", "POST"])
def roles(request: HttpRequest) -> HttpResponse:
    """Admins give people roles; every change is audited."""
    users = get_user_model().objects.order_by("username").prefetch_related("groups")
    if request.method == "POST":
        user = get_object_or_404(get_user_model(), pk=request.POST.get("user"))
        form = UserRolesForm(request.POST)
        if form.is_valid():
            try:
                services.user_roles_set(
                    user=user, roles=form.cleaned_data["roles"], actor=request.user
                )
            except ValueError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"Roles of {user.get_username()} saved.")
            return redirect("governance:roles")
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    rows = [(u, {g.name for g in u.groups.all()}) for u in page.object_list]
    return render_page(
        request, "governance/roles.html", {"page": page, "rows": rows, "roles": ROLES}
    )
