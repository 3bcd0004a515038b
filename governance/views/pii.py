"""PII review pages: the queue, a column's classifications, the PII cells of an asset's
Columns tab."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Column, Project
from governance.filters import TIER_CHOICES, review_queue
from governance.models import ColumnClassification, PiiCategory
from governance.pii.effective import effective_for, effective_many
from governance.pii.review import ReviewError, column_classifications_review
from governance.selectors import NO_TIER, effective_tiers
from governance.services import column_classification_decide
from lexicon_core.generation import cached_fragment
from lexicon_core.htmx import render_page
from lexicon_core.permissions import allowed, view_allows

QUEUE_PAGE_SIZE = 50


def _queue_context(request: HttpRequest, params) -> dict:
    filters = review_queue(params)
    page = Paginator(filters.qs, QUEUE_PAGE_SIZE).get_page(params.get("page"))
    page.object_list = list(page.object_list)
    tiers = effective_tiers({row.column.asset_id for row in page.object_list})
    for row in page.object_list:
        row.asset_tier = tiers.get(row.column.asset_id, NO_TIER).tier
    without_status = {k: v for k, v in params.items() if k not in ("status", "page")}
    counts_filter = review_queue({**without_status, "status": ""})
    counts = dict(counts_filter.qs.order_by().values_list("status").annotate(n=Count("id")))
    return {
        "filters": filters,
        "page": page,
        "params": params,
        "counts": [
            (s, label, counts.get(s, 0)) for s, label in ColumnClassification.Status.choices
        ],
        "status": params.get("status", ColumnClassification.Status.SUGGESTED),
        "projects": Project.objects.all(),
        "tiers": TIER_CHOICES,
        "categories": PiiCategory.choices,
        "origins": ColumnClassification.Origin.choices,
        "statuses": ColumnClassification.Status.choices,
        "filtered": any(params.get(k) for k in ("project", "tier", "category", "origin", "q")),
    }


@view_allows("column.classify")
@require_GET
def review_queue_page(request: HttpRequest) -> HttpResponse:
    """Suggestions waiting for a reviewer, filterable; htmx swaps just the list."""
    return render_page(
        request,
        "governance/review_queue.html",
        _queue_context(request, request.GET),
        fragment="governance/partials/_review_queue.html",
    )


@view_allows("column.classify")
@require_POST
def review_queue_decide(request: HttpRequest) -> HttpResponse:
    """Confirm or reject the selected classifications; answers with the refreshed list."""
    ids = [i for i in request.POST.getlist("ids") if i.isdigit()]
    decision = request.POST.get("decision", "")
    params = request.GET
    try:
        rows = column_classifications_review(
            classification_ids=ids,
            decision=decision,
            actor=request.user,
        )
    except ReviewError as exc:
        context = _queue_context(request, params) | {"error": str(exc)}
        return render(request, "governance/partials/_review_queue.html", context, status=400)
    verb = "Confirmed" if decision == "confirm" else "Rejected"
    context = _queue_context(request, params) | {
        "notice": f"{verb} {len(rows)} classification{'s' * (len(rows) != 1)}."
    }
    if not request.htmx:
        messages.success(request, context["notice"])
        return redirect(f"{reverse('governance:review_queue')}?{params.urlencode()}")
    return render(request, "governance/partials/_review_queue.html", context)


def _column(request: HttpRequest, pk: int) -> Column:
    return get_object_or_404(Column.objects.select_related("asset__project"), pk=pk)


@view_allows("catalog.view")
@require_GET
def column_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A column: its effective classification with origin, and every classification beside it."""
    column = _column(request, pk)
    rows = list(
        ColumnClassification.objects.filter(column=column).select_related(
            "source_column__asset", "decided_by"
        )
    )
    return render(
        request,
        "governance/column.html",
        {
            "column": column,
            "effective": effective_for(column),
            "rows": rows,
            "can_classify": allowed(request.user, "column.classify", column),
            "categories": PiiCategory.choices,
            "sensitivities": ColumnClassification.Sensitivity.choices,
        },
    )


@view_allows("column.classify", get_object=lambda request, pk: _column(request, pk))
@require_POST
def column_classify(request: HttpRequest, pk: int) -> HttpResponse:
    """A reviewer classifies a column directly (or marks it as holding no PII)."""
    column = _column(request, pk)
    category = request.POST.get("category", "")
    status = request.POST.get("status", ColumnClassification.Status.CONFIRMED)
    sensitivity = request.POST.get("sensitivity", ColumnClassification.Sensitivity.MEDIUM)
    if category == PiiCategory.NONE:
        sensitivity = ColumnClassification.Sensitivity.LOW
    try:
        column_classification_decide(
            column=column,
            category=category,
            status=status,
            sensitivity=sensitivity,
            note=request.POST.get("note", "")[:2000],
            actor=request.user,
        )
    except ValueError as exc:
        messages.error(request, f"Not saved: {exc}.")
    else:
        messages.success(request, "Classification saved.")
    return redirect("governance:column", pk=column.pk)


@view_allows("catalog.view")
@require_GET
@cached_fragment()
def asset_columns_pii(request: HttpRequest, pk: int) -> HttpResponse:
    """Out-of-band swaps filling the PII cell of each row of an asset's Columns tab."""
    columns = list(Column.objects.filter(asset_id=pk, removed_at__isnull=True))
    return render(
        request, "governance/partials/_asset_columns_pii.html", {"items": _effective_items(columns)}
    )


def _effective_items(columns: list[Column]) -> list[tuple[Column, object]]:
    effective = effective_many(columns)
    return [(c, effective[c.pk]) for c in columns]
