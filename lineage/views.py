from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from catalog.models import Asset
from lexicon_core.generation import cached_fragment
from lexicon_core.htmx import render_page
from lexicon_core.permissions import view_allows
from lexicon_core.tiers import TIERS, Tier
from lineage.engine import known_dialects
from lineage.explain import ExplainInputError, explain
from lineage.selectors import asset_neighbours, column_impact, impact
from lineage.usage import asset_usage, consumers, unused_assets


@view_allows("catalog.view")
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "lineage/index.html", {})


@view_allows("catalog.view")
@require_GET
@cached_fragment()
def asset_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The Lineage tab of an asset page: what it reads from and what reads from it."""
    asset = get_object_or_404(Asset, pk=pk)
    return render(
        request, "lineage/partials/_asset_panel.html", {"asset": asset, **asset_neighbours(asset)}
    )


@view_allows("catalog.view")
@require_GET
@cached_fragment()
def asset_usage_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The Usage tab: queries per day, top users, top queries and most used columns."""
    from django.conf import settings

    asset = get_object_or_404(Asset, pk=pk)
    days = request.GET.get("days", "30")
    days = int(days) if days in ("7", "30", "90") else 30
    usage = asset_usage(asset, days=days)
    chart = {
        "labels": [p["day"].isoformat() for p in usage["series"]],
        "queries": [p["queries"] for p in usage["series"]],
        "users": [p["users"] for p in usage["series"]],
    }
    # The last write seen in a query log is a freshness signal for tables dbt does not run.
    sla_hours = settings.LEXICON_TIER_FRESHNESS_SLA_HOURS.get(asset.dbt_tier or 0)
    write_fresh = None
    if sla_hours and usage["last_write_at"]:
        from django.utils import timezone

        write_fresh = (timezone.now() - usage["last_write_at"]).total_seconds() <= sla_hours * 3600
    return render(
        request,
        "lineage/partials/_usage_panel.html",
        {
            "asset": asset,
            "usage": usage,
            "chart": chart,
            "days": days,
            "sla_hours": sla_hours,
            "write_fresh": write_fresh,
        },
    )


@view_allows("catalog.view")
@require_http_methods(["GET", "POST"])
def explain_query(request: HttpRequest) -> HttpResponse:
    """Paste a query, see the tables it reads and writes and where each column comes from."""
    import json

    form = {
        "sql": request.POST.get("sql", ""),
        "dialect": request.POST.get("dialect", "snowflake"),
        "schema": request.POST.get("schema", ""),
        "default_db": request.POST.get("default_db", ""),
        "default_schema": request.POST.get("default_schema", ""),
    }
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
    return render_page(
        request,
        "lineage/explain.html",
        context,
        fragment="lineage/partials/_explain_result.html",
        status=400 if error else 200,
    )


@view_allows("catalog.view")
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
    # Who queried the asset or anything downstream of it in the last 30 days (query logs).
    people = consumers({asset.pk, *(r["id"] for r in rows)})
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="impact-{asset.name}.csv"'
        writer = csv.writer(response)
        writer.writerow(
            ["depth", "kind", "name", "column", "unique_id", "project", "tier", "removed"]
        )
        for row in rows:
            writer.writerow(
                [
                    row["distance"],
                    row["kind"],
                    row["name"],
                    row.get("column", ""),
                    row["unique_id"],
                    row["project"],
                    row["tier"] or "",
                    "yes" if row["removed"] else "",
                ]
            )
        for person in people:
            writer.writerow(
                [
                    "",
                    "consumer",
                    person["user"],
                    "",
                    f"{person['queries']} queries on "
                    f"{person['assets']} assets, last {person['last_day']:%Y-%m-%d}",
                    "",
                    "",
                    "",
                ]
            )
        return response
    columns = asset.columns.filter(removed_at__isnull=True).order_by("position", "name")
    return render(
        request,
        "lineage/impact.html",
        {"asset": asset, "rows": rows, "column": column, "columns": columns, "consumers": people},
    )


@view_allows("catalog.view")
@require_GET
def asset_graph_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The interactive lineage graph of an asset (data comes from the lineage API)."""
    from catalog.models import Column
    from lineage.models import ColumnEdge

    asset = get_object_or_404(Asset.objects.select_related("project"), pk=pk)
    with_lineage = set(
        ColumnEdge.objects.filter(downstream_asset=asset).values_list("downstream_id", flat=True)
    )
    columns = [
        (c.pk, c.name, c.pk in with_lineage)
        for c in Column.objects.filter(asset=asset, removed_at__isnull=True).order_by(
            "position", "name"
        )
    ]
    up = request.GET.get("up", "1")
    down = request.GET.get("down", "1")
    return render(
        request,
        "lineage/graph.html",
        {
            "asset": asset,
            "columns": columns,
            "top_tier": Tier.TIER_1,
            "up": int(up) if up.isdigit() and 0 <= int(up) <= 5 else 1,
            "down": int(down) if down.isdigit() and 0 <= int(down) <= 5 else 1,
        },
    )


@view_allows("catalog.view")
@require_GET
def unused_assets_page(request: HttpRequest) -> HttpResponse:
    """Tables and models nobody read in N days (query logs), by tier and owner: candidates
    for deprecation."""
    from django.core.paginator import Paginator

    from catalog.models import IngestRun

    days_text = request.GET.get("days", "90")
    days = int(days_text) if days_text.isdigit() and 1 <= int(days_text) <= 3650 else 90
    tier_text = request.GET.get("tier", "")
    tier = int(tier_text) if tier_text in {str(t) for t in TIERS} else None
    owner = request.GET.get("owner", "").strip()[:200]
    assets = unused_assets(days=days, tier=tier, owner=owner)
    page = Paginator(assets, 50).get_page(request.GET.get("page"))
    has_logs = IngestRun.objects.filter(
        kind=IngestRun.Kind.QUERY_LOG, status=IngestRun.Status.SUCCEEDED
    ).exists()
    return render_page(
        request,
        "lineage/unused.html",
        {
            "page": page,
            "days": days,
            "tier": tier_text,
            "tier_choices": Tier.choices,
            "owner": owner,
            "has_logs": has_logs,
        },
        fragment="lineage/partials/_unused_table.html",
    )


@view_allows("ingest.run")
@require_http_methods(["GET", "POST"])
def querylog_upload(request: HttpRequest) -> HttpResponse:
    """Admins upload a warehouse query log; the run page shows its progress. GET is the form
    fragment that the Ingest runs page loads."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from catalog.models import IngestRun
    from lineage.forms import QueryLogUploadForm
    from lineage.querylog.formats.base import WrongFormat
    from lineage.services import QueryLogError, querylog_run_create_from_upload

    form = QueryLogUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        extras = {k: data[k] for k in ("access_history", "query_text") if data.get(k)}
        try:
            run = querylog_run_create_from_upload(
                upload=data["log"],
                source_name=data["source"],
                fmt=data["format"],
                extras=extras,
                actor=request.user,
                trigger=IngestRun.Trigger.UI,
            )
        except (QueryLogError, WrongFormat) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Query-log run #{run.pk} queued.")
            return redirect("catalog:ingest_run", pk=run.pk)
    status = 400 if request.method == "POST" else 200
    return render_page(
        request,
        "lineage/querylog_upload.html",
        {"form": form},
        status=status,
        fragment="lineage/partials/_querylog_upload_form.html",
    )


@view_allows("catalog.view")
@require_GET
def querylog_run_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """What a query-log run read, skipped and could not parse (shown on the ingest run page)."""
    from lineage.models import QueryLogRun

    qrun = get_object_or_404(QueryLogRun.objects.select_related("source", "run"), run_id=pk)
    return render(request, "lineage/partials/_querylog_run.html", {"q": qrun})
