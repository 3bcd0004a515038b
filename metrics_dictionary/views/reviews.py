"""The review: a version's page with its impact and the decision form, submitting, deciding,
and the approvals inbox."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from lexicon_core.permissions import allowed, check, view_allows
from metrics_dictionary import selectors
from metrics_dictionary.errors import WorkflowError
from metrics_dictionary.forms import DecisionForm
from metrics_dictionary.models import MetricVersion, VersionState
from metrics_dictionary.services.reviews import (
    metric_version_approve,
    metric_version_reject,
    metric_version_request_changes,
    metric_version_submit,
)
from metrics_dictionary.views._common import (
    done,
    metric_or_404,
    progress_text,
    refusal,
    version_arg,
    version_or_404,
)


@view_allows("catalog.view")
@require_GET
def version_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """One version: its definition, the diff against the approved one, the impact, and the
    reviewer's decision (approve / request changes / reject)."""
    metric = metric_or_404(slug)
    version = version_or_404(metric, number)
    impact = selectors.version_impact(version)
    review_check = check(request.user, "metric.review", version)
    context = {
        "metric": metric,
        "version": version,
        "impact": impact,
        "progress": impact["progress"],
        "progress_text": progress_text(impact["progress"]),
        "review_check": review_check,
        "decision_form": DecisionForm(),
        "inputs": selectors.input_metrics(version),
        "already_reviewed": any(
            r.reviewer_id == request.user.pk for r in impact["progress"]["reviews"]
        ),
        "can_submit": version.is_editable and allowed(request.user, "metric.submit", version),
        "can_edit": version.is_editable and allowed(request.user, "metric.edit", version),
    }
    return render(request, "metrics_dictionary/version.html", context)


@view_allows("catalog.view", version_arg)
@require_POST
def version_decide(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Approve, request changes or reject, with a comment. Refusals come back as sentences."""
    version = request.version
    decision = check(request.user, "metric.review", version)
    if not decision:
        return refusal(request, decision.reason, status=403)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return refusal(request, "Choose approve, request changes or reject.", status=400)
    action = {
        "approve": metric_version_approve,
        "request_changes": metric_version_request_changes,
        "reject": metric_version_reject,
    }[form.cleaned_data["decision"]]
    try:
        version = action(version=version, actor=request.user, comment=form.cleaned_data["comment"])
    except WorkflowError as exc:
        return refusal(request, exc)
    if version.state == VersionState.APPROVED:
        messages.success(
            request,
            f"v{version.number} approved and published: it is now the definition of "
            f"{version.metric.name} everyone sees.",
        )
    elif version.state == VersionState.IN_REVIEW:
        version = selectors.version_get(version.metric, version.number)
        messages.success(
            request,
            f"Your approval is recorded: {progress_text(selectors.approval_progress(version))}.",
        )
    elif version.state == VersionState.CHANGES_REQUESTED:
        messages.success(
            request,
            f"Changes requested; the proposer can edit v{version.number} and submit it again.",
        )
    else:
        messages.success(request, f"v{version.number} rejected; it will never be published.")
    return done(
        request, reverse("metrics_dictionary:version", args=[version.metric.slug, version.number])
    )


@view_allows("metric.submit", version_arg)
@require_POST
def version_submit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = request.version
    try:
        metric_version_submit(
            version=version, actor=request.user, comment=request.POST.get("comment", "")
        )
    except WorkflowError as exc:
        return refusal(request, exc)
    messages.success(request, f"v{version.number} is in review; its reviewers have been told.")
    return done(
        request, reverse("metrics_dictionary:version", args=[version.metric.slug, version.number])
    )


@view_allows("catalog.view")
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """Waiting for me, waiting for others, my proposals — with approval progress."""
    boxes = selectors.inbox(request.user)

    def rows(versions: list[MetricVersion]) -> list[tuple[MetricVersion, str]]:
        return [(v, progress_text(selectors.approval_progress(v))) for v in versions]

    return render(
        request,
        "metrics_dictionary/inbox.html",
        {
            "waiting_for_me": rows(boxes["waiting_for_me"]),
            "waiting_for_others": rows(boxes["waiting_for_others"]),
            "my_proposals": boxes["my_proposals"],
            "can_propose": allowed(request.user, "metric.propose"),
        },
    )
