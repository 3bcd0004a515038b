from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from catalog import selectors
from catalog.dbt.artifacts import ArtifactError
from catalog.filters import AssetFilter, search_scope
from catalog.forms import DbtUploadForm
from catalog.models import Asset, AssetKind, IngestRun, Project
from lexicon_core.extensions import panel_urls, panels
from lexicon_core.generation import cached
from lexicon_core.htmx import render_page, wants_fragment
from lexicon_core.permissions import allowed, view_allows
from lexicon_core.tiers import Tier


@view_allows("catalog.view")
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Ranked search with facets; every filter is the AssetFilter the API uses too."""
    query = request.GET.get("q", "")[:200]
    filters = AssetFilter(request.GET, queryset=Asset.objects.all())
    number = request.GET.get("page", "1")
    candidates, include_removed = search_scope(filters)
    page = selectors.assets_search(
        query,
        page=int(number) if number.isdigit() else 1,
        candidates=candidates,
        include_removed=include_removed,
    )
    return render_page(
        request,
        "catalog/search.html",
        {
            "query": query,
            "page": page,
            "filters": filters,
            "facets": selectors.facet_links(selectors.search_facets(page.facet_counts), request.GET)
            if query
            else [],
            "search_url": reverse("catalog:search"),
            "active": {k: request.GET.getlist(k) for k in request.GET if k not in ("q", "page")},
        },
        fragment="catalog/partials/_search_results.html",
    )


@view_allows("catalog.view")
@require_GET
def browse(request: HttpRequest) -> HttpResponse:
    """Browse by project → database → schema, tier, owner ("mine"), kind, tag: the AssetFilter."""
    params = request.GET.copy()
    if params.get("owner") == "me":
        params["owner"] = request.user.email or request.user.get_username()
    filters = AssetFilter(params, queryset=Asset.objects.select_related("project"))
    assets = filters.qs.order_by("project__name", "database", "schema", "kind", "name")
    page = Paginator(assets, 50).get_page(request.GET.get("page"))
    return render_page(
        request,
        "catalog/browse.html",
        {
            "page": page,
            "filters": filters,
            "tree": selectors.catalog_tree(),
            "mine": request.GET.get("owner") == "me",
            "kinds": AssetKind.choices,
            "kind": request.GET.get("kind", ""),
            "tiers": [(str(value), label) for value, label in Tier.choices],
            "top_tier": Tier.TIER_1,
            "projects": Project.objects.all(),
            "project_id": request.GET.get("project", ""),
            "links": [(p.label, p.url(), p.description) for p in panels("browse", "links")],
        },
        fragment="catalog/partials/_asset_table.html",
    )


@view_allows("catalog.view")
@require_GET
def recently_changed(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.recent_changes(), 50).get_page(request.GET.get("page"))
    return render_page(request, "catalog/recent.html", {"page": page})


@view_allows("catalog.view")
@require_GET
def removed_assets(request: HttpRequest) -> HttpResponse:
    assets = (
        Asset.objects.filter(removed_at__isnull=False)
        .select_related("project", "removed_by_run")
        .order_by("-removed_at", "name")
    )
    return render_page(
        request,
        "catalog/removed.html",
        {"page": Paginator(assets, 50).get_page(request.GET.get("page"))},
    )


@view_allows("catalog.view")
@require_GET
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The asset page; ``?tab=`` picks a tab, an HTMX request gets just the tab's panel.

    Tabs and pieces owned by other apps (lineage, usage, history; owners, policy, ...) are
    registered panels, loaded from their URLs.
    """
    asset = get_object_or_404(Asset.objects.select_related("project", "removed_by_run"), pk=pk)
    # Tabs and pieces of the page contributed by the apps above (lexicon_core.extensions).
    tab_panels = panels("asset", "tab", asset)
    own_tabs = {p.key for p in tab_panels if p.url_name is None}
    tab = request.GET.get("tab", "overview")
    tab = tab if tab in {p.key for p in tab_panels} else "overview"
    urls = {p.key: p.url(asset) for p in tab_panels}
    context = {
        "asset": asset,
        "tab": tab,
        "column_filter": request.GET.get("q", ""),
        "tabs": [(p.key, p.label, urls[p.key]) for p in tab_panels],
        "tab_url_external": urls[tab] if tab not in own_tabs else "",
        "slots": {
            slot: panel_urls("asset", slot, asset)
            for slot in ("banner", "owners", "header", "description", "columns")
        },
    }
    if tab == "columns":
        context["columns"] = selectors.asset_columns(asset, context["column_filter"])
    elif tab == "quality":
        context["tests"] = selectors.asset_quality(asset)
    if wants_fragment(request) and tab in own_tabs:
        return render(request, f"catalog/partials/_asset_tab_{tab}.html", context)
    # The badges (several queries) are the same for every reader until something is written.
    context["header"] = cached(f"asset-header:{asset.pk}", lambda: selectors.asset_header(asset))
    return render(request, "catalog/asset_detail.html", context)


@view_allows("catalog.view")
@require_GET
def ingest_runs(request: HttpRequest) -> HttpResponse:
    page = Paginator(IngestRun.objects.select_related("project", "created_by"), 30).get_page(
        request.GET.get("page")
    )
    return render_page(
        request,
        "catalog/ingest_runs.html",
        {
            "page": page,
            "can_upload": allowed(request.user, "ingest.run"),
            "form": DbtUploadForm(),
            "upload_panels": panels("ingest_runs", "upload"),
        },
        fragment="catalog/partials/_ingest_run_table.html",
    )


@view_allows("catalog.view")
@require_GET
def ingest_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(IngestRun.objects.select_related("project", "created_by"), pk=pk)
    return render_page(
        request,
        "catalog/ingest_run_detail.html",
        {
            "run": run,
            "progress": selectors.ingest_run_progress(run),
            "detail_panels": panel_urls("ingest_run", "detail", run),
        },
        fragment="catalog/partials/_ingest_run_status.html",
    )


@view_allows("ingest.run")
@require_POST
def ingest_upload(request: HttpRequest) -> HttpResponse:
    """Admins upload dbt artifacts from the browser; the run page shows its progress."""
    from catalog.services import ingest_run_create_from_uploads

    form = DbtUploadForm(request.POST, request.FILES)
    if form.is_valid():
        uploads = {
            k: f
            for k in ("manifest", "catalog", "run_results", "sources")
            if (f := form.cleaned_data.get(k))
        }
        try:
            run = ingest_run_create_from_uploads(
                uploads=uploads,
                project_name=form.cleaned_data["project"],
                actor=request.user,
                trigger=IngestRun.Trigger.UI,
            )
        except ArtifactError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Ingest run #{run.pk} queued.")
            return redirect("catalog:ingest_run", pk=run.pk)
    page = Paginator(IngestRun.objects.select_related("project", "created_by"), 30).get_page(1)
    return render_page(
        request,
        "catalog/ingest_runs.html",
        {
            "page": page,
            "can_upload": True,
            "form": form,
            "upload_panels": panels("ingest_runs", "upload"),
        },
        status=400,
    )


@view_allows("catalog.view")
@require_GET
def search_suggest(request: HttpRequest) -> HttpResponse:
    """Type-ahead for the global search box: the best few matches as listbox options."""
    query = request.GET.get("q", "")[:200]
    page = (
        selectors.assets_search(query, per_page=8, include_removed=False) if query.strip() else None
    )
    return render_page(request, "catalog/partials/_suggest.html", {"query": query, "page": page})
