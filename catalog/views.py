from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from catalog import selectors
from catalog.artifacts import ArtifactError
from catalog.filters import AssetFilter
from catalog.forms import DbtUploadForm
from catalog.models import Asset, AssetKind, IngestRun, Project
from catalog.permissions import can_ingest, can_view_catalog, view_requires
from config.htmx import render_page


@view_requires(can_view_catalog)
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Ranked search with facets; every filter is the AssetFilter the API uses too."""
    query = request.GET.get("q", "")[:200]
    filters = AssetFilter(request.GET, queryset=Asset.objects.all())
    number = request.GET.get("page", "1")
    page = selectors.assets_search(query, page=int(number) if number.isdigit() else 1, candidates=filters.qs)
    matched = filters.qs.filter(pk__in=page.all_ids) if query else filters.qs.none()
    return render_page(
        request,
        "catalog/search.html",
        {"query": query, "page": page, "filters": filters, "facets": selectors.search_facets(matched) if query else [],
         "active": {k: request.GET.getlist(k) for k in request.GET if k not in ("q", "page")}},
        fragment="catalog/partials/_search_results.html",
    )


@view_requires(can_view_catalog)
@require_GET
def browse(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    project_id = request.GET.get("project", "")
    assets = selectors.active_assets().select_related("project").order_by("project__name", "kind", "name")
    if kind in AssetKind.values:
        assets = assets.filter(kind=kind)
    if project_id.isdigit():
        assets = assets.filter(project_id=int(project_id))
    page = Paginator(assets, 50).get_page(request.GET.get("page"))
    return render_page(
        request,
        "catalog/browse.html",
        {"page": page, "kinds": AssetKind.choices, "kind": kind, "projects": Project.objects.all(),
         "project_id": project_id},
        fragment="catalog/partials/_asset_table.html",
    )


@view_requires(can_view_catalog)
@require_GET
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    asset = get_object_or_404(Asset.objects.select_related("project", "removed_by_run"), pk=pk)
    columns = asset.columns.filter(removed_at__isnull=True)
    return render_page(request, "catalog/asset_detail.html", {"asset": asset, "columns": columns})


@view_requires(can_view_catalog)
@require_GET
def ingest_runs(request: HttpRequest) -> HttpResponse:
    page = Paginator(IngestRun.objects.select_related("project", "created_by"), 30).get_page(request.GET.get("page"))
    return render_page(
        request,
        "catalog/ingest_runs.html",
        {"page": page, "can_upload": can_ingest(request.user), "form": DbtUploadForm()},
        fragment="catalog/partials/_ingest_run_table.html",
    )


@view_requires(can_view_catalog)
@require_GET
def ingest_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(IngestRun.objects.select_related("project", "created_by"), pk=pk)
    return render_page(
        request,
        "catalog/ingest_run_detail.html",
        {"run": run, "progress": selectors.ingest_run_progress(run)},
        fragment="catalog/partials/_ingest_run_status.html",
    )


@view_requires(can_ingest)
@require_POST
def ingest_upload(request: HttpRequest) -> HttpResponse:
    """Admins upload dbt artifacts from the browser; the run page shows its progress."""
    from catalog.services import ingest_run_create_from_uploads

    form = DbtUploadForm(request.POST, request.FILES)
    if form.is_valid():
        uploads = {k: f for k in ("manifest", "catalog", "run_results", "sources") if (f := form.cleaned_data.get(k))}
        try:
            run = ingest_run_create_from_uploads(
                uploads=uploads, project_name=form.cleaned_data["project"], actor=request.user,
                trigger=IngestRun.Trigger.UI,
            )
        except ArtifactError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Ingest run #{run.pk} queued.")
            return redirect("catalog:ingest_run", pk=run.pk)
    page = Paginator(IngestRun.objects.select_related("project", "created_by"), 30).get_page(1)
    return render_page(request, "catalog/ingest_runs.html", {"page": page, "can_upload": True, "form": form},
                       status=400)
