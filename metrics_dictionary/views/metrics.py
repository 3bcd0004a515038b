"""The directory and the metric page: search and filters, the definition card and its tabs,
comparing versions, comments, a metric's settings (name, tier, domain, owners)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lexicon_core.generation import cached, reader_key
from lexicon_core.htmx import render_page, wants_fragment
from lexicon_core.permissions import allowed, check, view_allows
from metrics_dictionary import selectors
from metrics_dictionary.errors import WorkflowError
from metrics_dictionary.filters import MetricFilterSet
from metrics_dictionary.forms import OWNER_FIELDS, CommentForm, MetricSettingsForm
from metrics_dictionary.models import OUTGOING_STATUSES, Metric, MetricStatus, VersionState
from metrics_dictionary.rules import governance_note
from metrics_dictionary.services.metrics import metric_comment_add, metric_owners_set, metric_update
from metrics_dictionary.views._common import metric_arg, metric_or_404, refusal, version_or_404

PAGE_SIZE = 25
METRIC_TABS = (
    ("overview", "Definition"),
    ("versions", "Versions"),
    ("lineage", "Lineage"),
    ("discussion", "Discussion"),
    ("history", "History"),
)


@view_allows("catalog.view")
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The directory: search, filters (domain, tier, status, owner, mine, needs attention),
    counts."""
    filterset = MetricFilterSet(request.GET, queryset=selectors.metrics_list(), request=request)
    valid = filterset.is_valid()
    filters = filterset.values()
    mine, attention = (bool(filterset.form.cleaned_data.get(k)) for k in ("mine", "attention"))
    metrics = filterset.qs if valid else Metric.objects.none()
    page = Paginator(metrics, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "mine": mine,
        "attention": attention,
        "filtered": any(filters.values()) or mine or attention,
        "refusal": None if valid else filterset.refusal().message,
        "facets": selectors.metric_facets(),
        "owners": selectors.metric_owner_names(),
        "statuses": MetricStatus.choices,
        "total": Metric.objects.count(),
        "can_propose": allowed(request.user, "metric.propose"),
        "can_ingest": allowed(request.user, "ingest.run"),
        "can_manage_webhooks": allowed(request.user, "webhook.manage"),
    }
    context["results"] = _directory_results(request, context, cacheable=valid and not mine)
    if wants_fragment(request):
        return HttpResponse(context["results"], status=200 if valid else 400)
    return render(request, "metrics_dictionary/index.html", context, status=200 if valid else 400)


def _directory_results(request: HttpRequest, context: dict, *, cacheable: bool) -> str:
    """The result list, rendered; the same for every reader with the same roles and query
    until something is written ("mine" is each reader's own, never kept)."""
    from django.template.loader import render_to_string

    def results() -> str:
        return render_to_string(
            "metrics_dictionary/partials/_directory_results.html", context, request=request
        )

    if not cacheable:
        return results()
    return cached(f"metric-directory:{reader_key(request)}", results)


def _tab_context(request: HttpRequest, metric: Metric, tab: str) -> dict[str, Any]:
    if tab == "versions":
        versions = list(selectors.metric_versions(metric))
        return {
            "versions": versions,
            "default_a": versions[1].number if len(versions) > 1 else "",
            "default_b": versions[0].number if versions else "",
        }
    if tab == "lineage":
        return {"lineage": selectors.metric_lineage(metric)}
    if tab == "discussion":
        return {
            "comments": selectors.metric_comments(metric),
            "comment_form": CommentForm(),
            "comment_check": check(request.user, "metric.comment", metric),
        }
    if tab == "history":
        return {"events": selectors.metric_history(metric)}
    return {}


@view_allows("catalog.view")
@require_GET
def metric_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A definition card a business reader understands at a glance, and tabs (htmx)."""
    metric = metric_or_404(slug)
    tab = request.GET.get("tab", "overview")
    tab = tab if tab in dict(METRIC_TABS) else "overview"
    context: dict[str, Any] = {
        "metric": metric,
        "tab": tab,
        "tabs": METRIC_TABS,
        **_tab_context(request, metric, tab),
    }
    if wants_fragment(request) and tab != "overview":
        return render(request, f"metrics_dictionary/partials/_tab_{tab}.html", context)
    version = metric.current_version
    if version is None:  # not approved yet: show the newest proposal, labelled as such
        latest = metric.versions.order_by("-number").values_list("number", flat=True).first()
        version = selectors.version_get(metric, latest) if latest else None
    context.update(
        {
            "version": version,
            "banners": selectors.metric_banners(metric),
            "inputs": selectors.input_metrics(version) if version else [],
            "notice": selectors.active_deprecation(metric),
            "open_versions": [
                v
                for v in metric.versions.filter(
                    state__in=[
                        VersionState.IN_REVIEW,
                        VersionState.DRAFT,
                        VersionState.CHANGES_REQUESTED,
                    ]
                )
                .order_by("-number")
                .only("number", "state", "metric_id")
            ],
            "can_propose": metric.status != MetricStatus.RETIRED
            and allowed(request.user, "metric.propose", metric),
            "can_deprecate": metric.status not in OUTGOING_STATUSES
            and allowed(request.user, "metric.deprecate", metric),
            "can_manage": allowed(request.user, "metric.manage", metric),
            "can_withdraw": metric.status == MetricStatus.DEPRECATED
            and allowed(request.user, "metric.deprecate", metric),
        }
    )
    if wants_fragment(request):
        return render(request, "metrics_dictionary/partials/_tab_overview.html", context)
    return render(request, "metrics_dictionary/metric_detail.html", context)


@view_allows("catalog.view")
@require_GET
def compare(request: HttpRequest, slug: str) -> HttpResponse:
    """Any two versions side by side, field by field (``?a=1&b=2``)."""
    metric = metric_or_404(slug)
    numbers = [request.GET.get(k, "") for k in ("a", "b")]
    if not all(n.isdigit() for n in numbers):
        return refusal(request, "Pick two versions to compare.", status=400)
    old, new = (version_or_404(metric, int(n)) for n in numbers)
    context = {"metric": metric, "old": old, "new": new, "diff": selectors.version_diff(old, new)}
    return render_page(
        request,
        "metrics_dictionary/compare.html",
        context,
        fragment="metrics_dictionary/partials/_diff.html",
    )


@view_allows("metric.comment", metric_arg)
@require_POST
def comment_add(request: HttpRequest, slug: str) -> HttpResponse:
    metric = request.metric
    form = CommentForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            metric_comment_add(metric=metric, body=form.cleaned_data["body"], actor=request.user)
        except WorkflowError as exc:
            form.add_error("body", exc.message)
            status = exc.status_code
        else:
            if not wants_fragment(request):
                return redirect(
                    reverse("metrics_dictionary:metric", args=[metric.slug]) + "?tab=discussion"
                )
            form = CommentForm()
    else:
        status = 400
    context = {
        "metric": metric,
        **_tab_context(request, metric, "discussion"),
        "comment_form": form,
    }
    return render(
        request, "metrics_dictionary/partials/_tab_discussion.html", context, status=status
    )


@view_allows("metric.manage", metric_arg)
@require_http_methods(["GET", "POST"])
def metric_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """Owners, governance reviewers and admins change a metric's name, tier, domain and owners."""
    metric = request.metric
    form = MetricSettingsForm(request.POST or None, initial=MetricSettingsForm.initial_for(metric))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # one change: name/tier and owners together or not at all
                metric_update(
                    metric=metric,
                    actor=request.user,
                    name=data["name"],
                    tier=data["tier"],
                    domain=data["domain"],
                    category=data["category"],
                )
                for field, owner_type in OWNER_FIELDS:
                    if field in form.changed_data:
                        users, teams = data[field]
                        metric_owners_set(
                            metric=metric,
                            actor=request.user,
                            users=users,
                            teams=teams,
                            owner_type=owner_type,
                        )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{data['name']} updated.")
            return redirect("metrics_dictionary:metric", slug=metric.slug)
    return render(
        request,
        "metrics_dictionary/settings.html",
        {"metric": metric, "form": form, "governance_note": governance_note()},
        status=400 if form.is_bound else 200,
    )
