"""An asset's governance: owners, tier, description, history and policy panel (fragments of
the asset page), "my assets", and a project's dbt meta patch."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from catalog.models import Asset, Project
from governance import services
from governance.dbt_export import meta_patch_response
from governance.forms import AssetOwnersForm, AssetTierForm
from governance.models import OwnerType, Team
from governance.policies import assets_owned_by, policy_checks, policy_checks_many
from governance.selectors import (
    asset_history,
    effective_description,
    effective_owners,
    effective_tier,
)
from lexicon_core.generation import cached_fragment
from lexicon_core.htmx import render_page
from lexicon_core.permissions import allowed, view_allows


@view_allows("catalog.view")
@require_GET
@cached_fragment()
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
@cached_fragment()
def asset_owners_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """Effective owners (a person's choice, else dbt's) with their type and origin."""
    asset = get_object_or_404(Asset, pk=pk)
    return render(
        request, "governance/partials/_asset_owners.html", _owners_context(request, asset)
    )


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
@cached_fragment()
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
@cached_fragment()
def asset_description_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The description on the asset's Overview tab: a person's, else dbt's, with its origin."""
    return _description_panel(request, get_object_or_404(Asset, pk=pk))


def _description_panel(request: HttpRequest, asset: Asset) -> HttpResponse:
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


@view_allows("catalog.view")
@require_GET
def dbt_meta_patch(request: HttpRequest, pk: int) -> HttpResponse:
    """Download a project's schema.yml meta patch (owners, tiers, PII decided here)."""
    return meta_patch_response(get_object_or_404(Project, pk=pk))
