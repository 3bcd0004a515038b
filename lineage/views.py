from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from catalog.models import Asset
from catalog.permissions import can_view_catalog, view_requires
from config.htmx import render_page
from lineage.engine import known_dialects
from lineage.explain import ExplainInputError, explain
from lineage.selectors import asset_neighbours, column_impact, impact


@view_requires(can_view_catalog)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "lineage/index.html", {})


@view_requires(can_view_catalog)
@require_GET
def asset_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The Lineage tab of an asset page: what it reads from and what reads from it."""
    asset = get_object_or_404(Asset, pk=pk)
    return render(request, "lineage/partials/_asset_panel.html", {"asset": asset, **asset_neighbours(asset)})


@view_requires(can_view_catalog)
@require_GET
def asset_usage_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The Usage tab: query-log usage of the asset."""
    asset = get_object_or_404(Asset, pk=pk)
    return render(request, "lineage/partials/_usage_panel.html", {"asset": asset})


@view_requires(can_view_catalog)
@require_http_methods(["GET", "POST"])
def explain_query(request: HttpRequest) -> HttpResponse:
    """Paste a query, see the tables it reads and writes and where each column comes from."""
    import json

    form = {"sql": request.POST.get("sql", ""), "dialect": request.POST.get("dialect", "snowflake"),
            "schema": request.POST.get("schema", ""), "default_db": request.POST.get("default_db", ""),
            "default_schema": request.POST.get("default_schema", "")}
    result = error = None
    if request.method == "POST":
        try:
            schema = json.loads(form["schema"]) if form["schema"].strip() else None
            result = explain({**form, "schema": schema}, where="form")
        except json.JSONDecodeError as exc:
            error = f"Schema is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        except ExplainInputError as exc:
            error = str(exc).removeprefix("form: ")
    context = {"form": form, "result": result, "error": error, "dialects": known_dialects()}
    return render_page(request, "lineage/explain.html", context, fragment="lineage/partials/_explain_result.html",
                       status=400 if error else 200)


@view_requires(can_view_catalog)
@require_GET
def asset_impact(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything downstream of an asset (models, exposures, metrics), with a CSV export."""
    import csv

    asset = get_object_or_404(Asset.objects.select_related("project"), pk=pk)
    column_id = request.GET.get("column", "")
    column = None
    if column_id.isdigit():
        from catalog.models import Column

        column = get_object_or_404(Column, pk=int(column_id), asset=asset)
        rows = column_impact(column)
    else:
        rows = impact(asset)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="impact-{asset.name}.csv"'
        writer = csv.writer(response)
        writer.writerow(["depth", "kind", "name", "column", "unique_id", "project", "tier", "removed"])
        for row in rows:
            writer.writerow([row["distance"], row["kind"], row["name"], row.get("column", ""), row["unique_id"],
                             row["project"], row["tier"] or "", "yes" if row["removed"] else ""])
        return response
    columns = asset.columns.filter(removed_at__isnull=True).order_by("position", "name")
    return render(request, "lineage/impact.html",
                  {"asset": asset, "rows": rows, "column": column, "columns": columns})


@view_requires(can_view_catalog)
@require_GET
def asset_graph_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The interactive lineage graph of an asset (data comes from the lineage API)."""
    from catalog.models import Column
    from lineage.models import ColumnEdge

    asset = get_object_or_404(Asset.objects.select_related("project"), pk=pk)
    with_lineage = set(ColumnEdge.objects.filter(downstream_asset=asset).values_list("downstream_id", flat=True))
    columns = [(c.pk, c.name, c.pk in with_lineage)
               for c in Column.objects.filter(asset=asset, removed_at__isnull=True).order_by("position", "name")]
    up = request.GET.get("up", "1")
    down = request.GET.get("down", "1")
    return render(request, "lineage/graph.html", {
        "asset": asset, "columns": columns,
        "up": int(up) if up.isdigit() and 0 <= int(up) <= 5 else 1,
        "down": int(down) if down.isdigit() and 0 <= int(down) <= 5 else 1,
    })
