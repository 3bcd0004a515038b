"""The audit log page and its CSV export (the same filters)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from governance.filters import AuditEventFilter
from governance.models import AuditEvent
from lexicon_core.htmx import render_page
from lexicon_core.permissions import view_allows


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
