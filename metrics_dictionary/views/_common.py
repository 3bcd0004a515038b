"""What the metric pages share: loading the metric or version of the URL, refusals shown
as sentences with their status, the answer after a successful POST."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from lexicon_core.htmx import render_page, wants_fragment
from metrics_dictionary import selectors
from metrics_dictionary.errors import WorkflowError
from metrics_dictionary.models import Metric, MetricVersion


def metric_or_404(slug: str) -> Metric:
    try:
        return selectors.metric_get(slug)
    except Metric.DoesNotExist:
        raise Http404(f"No metric {slug!r}") from None


def version_or_404(metric: Metric, number: int) -> MetricVersion:
    try:
        return selectors.version_get(metric, number)
    except MetricVersion.DoesNotExist:
        raise Http404(f"{metric.name} has no version {number}") from None


def metric_arg(request: HttpRequest, slug: str, **kwargs: Any) -> Metric:
    """``view_allows`` loader: the metric of the URL, kept on the request for the view."""
    request.metric = metric_or_404(slug)
    return request.metric


def version_arg(request: HttpRequest, slug: str, number: int, **kwargs: Any) -> MetricVersion:
    request.version = version_or_404(metric_arg(request, slug), number)
    return request.version


def progress_text(progress: dict[str, Any]) -> str:
    """“1 of 2 approvals · a governance reviewer still needed”."""
    rule = progress["rule"]
    text = (
        f"{progress['approvals']} of {rule.approvals} approval{'s' if rule.approvals != 1 else ''}"
    )
    if progress["governance_approvals"] < rule.governance:
        text += " · a governance reviewer still needed"
    return text


def refusal(request: HttpRequest, exc: WorkflowError | str, *, status: int = 403) -> HttpResponse:
    message = exc.message if isinstance(exc, WorkflowError) else exc
    status = exc.status_code if isinstance(exc, WorkflowError) else status
    return render_page(
        request,
        "metrics_dictionary/refusal.html",
        {"message": message, "status": status},
        fragment="metrics_dictionary/partials/_refusal.html",
        status=status,
    )


def done(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful POST: HX-Redirect for htmx, a plain redirect otherwise."""
    if wants_fragment(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
