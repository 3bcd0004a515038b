"""Proposing and editing: a new metric, a new version of one, editing a draft, and the live
validation of the form (htmx)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from lexicon_core.permissions import view_allows
from lexicon_core.tiers import Tier
from metrics_dictionary import selectors
from metrics_dictionary.errors import DefinitionInvalid, WorkflowError
from metrics_dictionary.forms import DefinitionForm
from metrics_dictionary.models import Metric, MetricStatus, MetricVersion
from metrics_dictionary.services.proposals import (
    metric_propose,
    metric_version_propose,
    metric_version_update,
)
from metrics_dictionary.services.reviews import metric_version_submit
from metrics_dictionary.views._common import metric_arg, refusal, version_arg


def _save_definition(request: HttpRequest, form: DefinitionForm, save) -> HttpResponse | None:
    """Run ``save()`` (a service call returning the version), then submit if asked; None when
    refused."""
    try:
        version = save()
        if request.POST.get("action") == "submit":
            metric_version_submit(version=version, actor=request.user)
            messages.success(
                request,
                f"{version.metric.name} v{version.number} is in review; its reviewers "
                "have been told.",
            )
        else:
            messages.success(
                request,
                f"Draft v{version.number} of {version.metric.name} saved. Submit it for "
                "review when it is ready.",
            )
    except DefinitionInvalid as exc:
        form.add_definition_errors(exc)
        return None
    except WorkflowError as exc:
        form.add_error(None, exc.message)
        form.refusal_status = exc.status_code
        return None
    return redirect("metrics_dictionary:version", slug=version.metric.slug, number=version.number)


def _form_page(
    request: HttpRequest,
    form: DefinitionForm,
    *,
    title: str,
    metric: Metric | None = None,
    version: MetricVersion | None = None,
) -> HttpResponse:
    status = getattr(form, "refusal_status", 400) if form.is_bound else 200
    return render(
        request,
        "metrics_dictionary/propose.html",
        {"form": form, "title": title, "metric": metric, "version": version},
        status=status,
    )


@view_allows("metric.propose")
@require_http_methods(["GET", "POST"])
def propose(request: HttpRequest) -> HttpResponse:
    """A new metric with its first draft version."""
    form = DefinitionForm(request.POST or None, new_metric=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        response = _save_definition(
            request,
            form,
            lambda: metric_propose(
                name=data["name"],
                definition=form.definition(),
                actor=request.user,
                tier=data["tier"] or Tier.TIER_3,
                domain=data["domain"],
                category=data["category"],
                owner_users=data["owners"],
            ),
        )
        if response:
            return response
    return _form_page(request, form, title="Propose a metric")


@view_allows("metric.propose", metric_arg)
@require_http_methods(["GET", "POST"])
def propose_version(request: HttpRequest, slug: str) -> HttpResponse:
    """A new draft version of an existing metric, starting from its approved definition."""
    metric = request.metric
    if metric.status == MetricStatus.RETIRED:
        return refusal(
            request, f"“{metric.name}” is retired; it no longer takes changes.", status=409
        )
    base = metric.current_version or metric.versions.order_by("-number").first()
    form = DefinitionForm(request.POST or None, new_metric=False, version=base)
    if request.method == "POST" and form.is_valid():
        response = _save_definition(
            request,
            form,
            lambda: metric_version_propose(
                metric=metric, definition=form.definition(), actor=request.user
            ),
        )
        if response:
            return response
    return _form_page(
        request, form, title=f"Propose a change to {metric.name}", metric=metric, version=base
    )


@view_allows("metric.edit", version_arg)
@require_http_methods(["GET", "POST"])
def version_edit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The proposer edits their draft (or a version sent back with changes requested)."""
    version = request.version
    if not version.is_editable:
        return refusal(
            request,
            f"v{version.number} is {version.get_state_display().lower()}; only drafts and "
            "versions with changes requested can be edited. Propose a new version instead.",
            status=409,
        )
    form = DefinitionForm(request.POST or None, new_metric=False, version=version)
    if request.method == "GET":
        form.initial["change_summary"] = version.change_summary
    if request.method == "POST" and form.is_valid():
        response = _save_definition(
            request,
            form,
            lambda: metric_version_update(
                version=version, definition=form.definition(), actor=request.user
            ),
        )
        if response:
            return response
    return _form_page(
        request,
        form,
        title=f"Edit v{version.number} of {version.metric.name}",
        metric=version.metric,
        version=version,
    )


@view_allows("metric.propose")
@require_POST
def validate(request: HttpRequest) -> HttpResponse:
    """Live validation of the propose/edit form (htmx, debounced): errors next to each field
    and the formula's columns checked against the related models."""
    form = DefinitionForm(request.POST, new_metric=request.POST.get("_form") == "new")
    valid = form.is_valid()
    checks = []
    if (
        "related_models" not in form.errors
        and "formula" not in form.errors
        and form.cleaned_data.get("formula")
    ):
        probe = MetricVersion(formula=form.cleaned_data["formula"], type_params=form.type_params())
        checks = selectors.formula_column_checks(
            probe, form.cleaned_data.get("related_models") or []
        )
    return render(
        request,
        "metrics_dictionary/partials/_validation.html",
        {
            "form": form,
            "valid": valid,
            "checks": checks,
            "has_models": bool(form.cleaned_data.get("related_models")),
        },
    )
