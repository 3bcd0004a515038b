from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from catalog.models import Asset
from governance.selectors import asset_history, effective_owners, effective_tier
from lexicon_core.permissions import allowed, view_allows
from lexicon_core.roles import ROLE_DESCRIPTIONS


@view_allows("catalog.view")
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    from catalog.models import Project
    from lexicon_core.permissions import role_matrix
    from lexicon_core.roles import ROLES

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


@view_allows("catalog.view")
@require_GET
def asset_history_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The History tab of an asset page: ingest changes and people's edits together."""
    asset = get_object_or_404(Asset, pk=pk)
    return render(
        request,
        "governance/partials/_asset_history.html",
        {"asset": asset, "entries": asset_history(asset)},
    )


@view_allows("catalog.view")
@require_GET
def asset_owners_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """Effective owners (a person's choice, else dbt's) with their type and origin."""
    asset = get_object_or_404(Asset, pk=pk)
    return render(
        request, "governance/partials/_asset_owners.html", _owners_context(request, asset)
    )


# ---- policies, teams, audit (issue 8a)
# This section's imports sit here so that a parallel branch appending to this module
# does not collide with it in the header; hoist them when the branches are merged.

import csv  # noqa: E402
from collections.abc import Iterator  # noqa: E402

from django.contrib import messages  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.http import StreamingHttpResponse  # noqa: E402
from django.shortcuts import redirect  # noqa: E402
from django.views.decorators.http import require_http_methods, require_POST  # noqa: E402

from catalog.models import Project  # noqa: E402
from governance import services  # noqa: E402
from governance.filters import AuditEventFilter  # noqa: E402
from governance.forms import AssetOwnersForm, AssetTierForm, TeamForm, TierPolicyForm, UserRolesForm  # noqa: E402
from governance.models import AuditEvent, OwnerType, Team  # noqa: E402
from governance.policies import (  # noqa: E402
    TIERS,
    assets_owned_by,
    policy_checks,
    policy_checks_many,
    tier_policies,
)
from lexicon_core.htmx import render_page  # noqa: E402


def _owners_context(request: HttpRequest, asset: Asset) -> dict:
    tier, tier_origin = effective_tier(asset)
    return {
        "asset": asset,
        "owners": effective_owners(asset),
        "tier": tier,
        "tier_origin": tier_origin,
        "can_edit_owners": allowed(request.user, "asset.set_owners", asset),
        "can_edit_tier": allowed(request.user, "asset.set_tier", asset),
    }


def _header_changed(response: HttpResponse) -> HttpResponse:
    """Tell the asset page that owners or tier changed, so its policy panel reloads."""
    response["HX-Trigger"] = "governance-changed"
    return response


@view_allows("asset.set_owners", lambda request, pk: get_object_or_404(Asset, pk=pk))
@require_http_methods(["GET", "POST"])
def asset_owners_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Reviewers set the owners of one type (users and teams); the header fragment comes back."""
    asset = get_object_or_404(Asset, pk=pk)
    owner_type = (
        request.POST.get("owner_type") or request.GET.get("owner_type") or OwnerType.TECHNICAL
    )
    current = asset.owner_assignments.filter(owner_type=owner_type)
    form = AssetOwnersForm(
        request.POST or None,
        initial={
            "owner_type": owner_type,
            "users": [a.user_id for a in current if a.user_id],
            "teams": [a.team_id for a in current if a.team_id],
        },
    )
    if request.method == "POST" and form.is_valid():
        services.asset_owners_set(
            asset=asset,
            users=tuple(form.cleaned_data["users"]),
            teams=tuple(form.cleaned_data["teams"]),
            owner_type=form.cleaned_data["owner_type"],
            actor=request.user,
        )
        return _header_changed(
            render(
                request, "governance/partials/_asset_owners.html", _owners_context(request, asset)
            )
        )
    return render(
        request,
        "governance/partials/_asset_owners_form.html",
        {"asset": asset, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@view_allows("asset.set_tier", lambda request, pk: get_object_or_404(Asset, pk=pk))
@require_http_methods(["GET", "POST"])
def asset_tier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    asset = get_object_or_404(Asset, pk=pk)
    tier, _origin = effective_tier(asset)
    form = AssetTierForm(request.POST or None, initial={"tier": tier})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["tier"]:
            services.asset_tier_set(
                asset=asset,
                tier=form.cleaned_data["tier"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        else:
            services.asset_tier_clear(asset=asset, actor=request.user)
        return _header_changed(
            render(
                request, "governance/partials/_asset_owners.html", _owners_context(request, asset)
            )
        )
    return render(
        request,
        "governance/partials/_asset_tier_form.html",
        {"asset": asset, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@view_allows("catalog.view")
@require_GET
def asset_policy_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """Pass/fail badges of the asset's tier policy checks (loaded into the asset page)."""
    asset = get_object_or_404(Asset, pk=pk)
    tier, _origin = effective_tier(asset)
    return render(
        request,
        "governance/partials/_asset_policy.html",
        {"asset": asset, "tier": tier, "checks": policy_checks(asset)},
    )


@view_allows("catalog.view")
@require_GET
def policies(request: HttpRequest) -> HttpResponse:
    """The three tier policies; reviewers edit them in place."""
    return render_page(
        request,
        "governance/policies.html",
        {"policies": tier_policies().values(), "can_edit": allowed(request.user, "policy.edit")},
    )


@view_allows("policy.edit")
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, tier: int) -> HttpResponse:
    if tier not in TIERS:
        from django.http import Http404

        raise Http404("There are tiers 1, 2 and 3.")
    policy = tier_policies()[tier]
    form = TierPolicyForm(request.POST or None, initial=TierPolicyForm.initial_from(policy))
    if request.method == "POST" and form.is_valid():
        try:
            services.tier_policy_update(tier=tier, actor=request.user, **form.cleaned_data)
        except services.PolicyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Tier {tier} policy saved.")
            return redirect("governance:policies")
    return render_page(
        request,
        "governance/policy_edit.html",
        {"policy": policy, "form": form},
        fragment="governance/partials/_policy_form.html",
        status=400 if request.method == "POST" else 200,
    )


@view_allows("catalog.view")
@require_GET
def my_assets(request: HttpRequest) -> HttpResponse:
    """Assets I own, directly or through a team, with their policy checks."""
    assets = (
        Asset.objects.filter(assets_owned_by(request.user), removed_at__isnull=True)
        .select_related("project")
        .order_by("project__name", "kind", "name")
    )
    page = Paginator(assets, 50).get_page(request.GET.get("page"))
    checks = policy_checks_many(page.object_list)
    rows = [(asset, checks.get(asset.pk, [])) for asset in page.object_list]
    return render_page(
        request,
        "governance/my_assets.html",
        {"page": page, "rows": rows, "teams": Team.objects.filter(members=request.user)},
    )


def _audit_filtered(request: HttpRequest) -> AuditEventFilter:
    return AuditEventFilter(request.GET, queryset=AuditEvent.objects.order_by("-at", "-id"))


@view_allows("audit.view")
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every human change, filterable by actor, action, object type, dates and text."""
    filters = _audit_filtered(request)
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render_page(
        request,
        "governance/audit_log.html",
        {
            "filters": filters,
            "page": page,
            "filter_query": query.urlencode(),
            "actions": AuditEvent.objects.order_by("action")
            .values_list("action", flat=True)
            .distinct(),
        },
        fragment="governance/partials/_audit_table.html",
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


AUDIT_CSV_COLUMNS = (
    "id",
    "at",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "request_id",
)


def _cell(value: str) -> str:
    """People's text can start like a spreadsheet formula; quote it so it stays text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _audit_rows(queryset) -> Iterator[list]:
    import json

    yield list(AUDIT_CSV_COLUMNS)
    for row in queryset.values_list(*AUDIT_CSV_COLUMNS).iterator(chunk_size=2000):
        values = [_cell(v) if isinstance(v, str) else v for v in row]
        values[1] = values[1].isoformat()
        values[7] = json.dumps(values[7], sort_keys=True) if values[7] is not None else ""
        values[8] = json.dumps(values[8], sort_keys=True) if values[8] is not None else ""
        yield values


@view_allows("audit.view")
@require_GET
def audit_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered audit log as CSV, streamed row by row."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _audit_rows(_audit_filtered(request).qs)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="lexicon-audit.csv"'
    return response


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
    from lexicon_core.roles import ROLES

    rows = [(u, {g.name for g in u.groups.all()}) for u in page.object_list]
    return render_page(
        request, "governance/roles.html", {"page": page, "rows": rows, "roles": ROLES}
    )


@view_allows("catalog.view")
@require_GET
def dbt_meta_patch(request: HttpRequest, pk: int) -> HttpResponse:
    """Download a project's schema.yml meta patch (owners, tiers, PII decided here)."""
    from governance.dbt_export import meta_patch_response

    return meta_patch_response(get_object_or_404(Project, pk=pk))


@view_allows("catalog.view")
@require_GET
def asset_description_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The description on the asset's Overview tab: a person's, else dbt's, with its origin."""
    return _description_panel(request, get_object_or_404(Asset, pk=pk))


def _description_panel(request: HttpRequest, asset: Asset) -> HttpResponse:
    from governance.selectors import effective_description

    return render(
        request,
        "governance/partials/_asset_description.html",
        {
            "asset": asset,
            "description": effective_description(asset),
            "can_edit": allowed(request.user, "asset.describe", asset),
        },
    )


@view_allows("asset.describe", lambda request, pk: get_object_or_404(Asset, pk=pk))
@require_http_methods(["GET", "POST"])
def asset_description_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Write the description in place; empty goes back to dbt's. Audited."""
    from governance.selectors import effective_description

    asset = get_object_or_404(Asset, pk=pk)
    current = effective_description(asset)
    text = request.POST.get(
        "text", current.text if current.origin == "person" else asset.description
    )
    error = ""
    if request.method == "POST":
        try:
            services.asset_description_set(asset=asset, text=text, actor=request.user)
        except ValueError as exc:
            error = str(exc)
        else:
            return _header_changed(_description_panel(request, asset))
    return render(
        request,
        "governance/partials/_asset_description_form.html",
        {"asset": asset, "text": text, "error": error},
        status=400 if error else 200,
    )
