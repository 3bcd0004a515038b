"""Deprecating a metric and withdrawing its deprecation (owners and reviewers)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from lexicon_core.permissions import view_allows
from metrics_dictionary.errors import WorkflowError
from metrics_dictionary.forms import DeprecateForm
from metrics_dictionary.services import deprecations as deprecation_services
from metrics_dictionary.views._common import metric_arg, refusal


@view_allows("metric.deprecate", metric_arg)
@require_http_methods(["GET", "POST"])
def deprecate(request: HttpRequest, slug: str) -> HttpResponse:
    """Owners and reviewers deprecate a metric: reason, sunset date, replacement."""
    metric = request.metric
    form = DeprecateForm(request.POST or None, metric=metric)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                deprecation_services.metric_deprecate(
                    metric=metric,
                    reason=data["reason"],
                    sunset_date=data["sunset_date"],
                    replacement=data["replacement"],
                    actor=request.user,
                )
            except WorkflowError as exc:
                for field, errors in exc.errors.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
                if not exc.errors:
                    form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(
                    request, f"{metric.name} is deprecated; readers see the notice on its page."
                )
                return redirect("metrics_dictionary:metric", slug=metric.slug)
    return render(
        request,
        "metrics_dictionary/deprecate.html",
        {"metric": metric, "form": form},
        status=status,
    )


@view_allows("metric.deprecate", metric_arg)
@require_POST
def deprecation_withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    """Undo a deprecation that has not retired the metric yet."""
    metric = request.metric
    try:
        deprecation_services.deprecation_withdraw(subject=metric, actor=request.user)
    except WorkflowError as exc:
        return refusal(request, exc)
    messages.success(request, f"The deprecation of {metric.name} is withdrawn.")
    return redirect("metrics_dictionary:metric", slug=metric.slug)
