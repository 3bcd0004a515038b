"""Pages of the metric dictionary: directory, metric page and its tabs, propose/edit form with
live validation, approvals inbox, review page, change log, deprecation, webhooks (admins).

Views are thin: they parse input, check permission with ``governance.permissions``
(``view_allows`` / ``check``), call one service or selector and render. Refusals of the
services (``errors.WorkflowError``) are shown as sentences with their status (403/409).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lexicon_core.htmx import render_page, wants_fragment
from lexicon_core.permissions import allowed, check, view_allows
from metrics_dictionary import selectors, services
from metrics_dictionary.errors import DefinitionInvalid, WorkflowError
from metrics_dictionary.forms import (
    OWNER_FIELDS,
    CommentForm,
    DecisionForm,
    DefinitionForm,
    DeprecateForm,
    MetricSettingsForm,
    WebhookCreateForm,
    WebhookEditForm,
)
from metrics_dictionary.models import Metric, MetricStatus, MetricVersion, VersionState, Webhook

PAGE_SIZE = 25
METRIC_TABS = (
    ("overview", "Definition"),
    ("versions", "Versions"),
    ("lineage", "Lineage"),
    ("discussion", "Discussion"),
    ("history", "History"),
)


def _metric_or_404(slug: str) -> Metric:
    try:
        return selectors.metric_get(slug)
    except Metric.DoesNotExist:
        raise Http404(f"No metric {slug!r}") from None


def _version_or_404(metric: Metric, number: int) -> MetricVersion:
    try:
        return selectors.version_get(metric, number)
    except MetricVersion.DoesNotExist:
        raise Http404(f"{metric.name} has no version {number}") from None


def _metric_arg(request: HttpRequest, slug: str, **kwargs: Any) -> Metric:
    """``view_allows`` loader: the metric of the URL, kept on the request for the view."""
    request.metric = _metric_or_404(slug)
    return request.metric


def _version_arg(request: HttpRequest, slug: str, number: int, **kwargs: Any) -> MetricVersion:
    request.version = _version_or_404(_metric_arg(request, slug), number)
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


def _refusal(request: HttpRequest, exc: WorkflowError | str, *, status: int = 403) -> HttpResponse:
    message = exc.message if isinstance(exc, WorkflowError) else exc
    status = exc.status_code if isinstance(exc, WorkflowError) else status
    return render_page(
        request,
        "metrics_dictionary/refusal.html",
        {"message": message, "status": status},
        fragment="metrics_dictionary/partials/_refusal.html",
        status=status,
    )


def _done(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful POST: HX-Redirect for htmx, a plain redirect otherwise."""
    if wants_fragment(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# ---------------------------------------------------------------------------- directory


@view_allows("catalog.view")
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The directory: search, filters (domain, tier, status, owner, mine, needs attention), counts."""
    get = request.GET
    mine = get.get("mine") == "1"
    attention = get.get("attention") == "1"
    filters = {
        "q": get.get("q", "")[:200].strip(),
        "domain": get.get("domain", ""),
        "tier": get.get("tier", ""),
        "status": get.get("status", ""),
        "owner": "" if mine else get.get("owner", ""),
    }
    metrics = selectors.metrics_list(
        request.user, needs_attention=True if attention else None, **filters
    )
    if mine:  # owned directly or through one of my teams
        owned = selectors.metric_ids_owned_by(request.user)
        if isinstance(metrics, list):
            owned_ids = set(owned)
            metrics = [m for m in metrics if m.pk in owned_ids]
        else:
            metrics = metrics.filter(pk__in=owned)
    page = Paginator(metrics, PAGE_SIZE).get_page(get.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "mine": mine,
        "attention": attention,
        "filtered": any(filters.values()) or mine or attention,
        "facets": selectors.metric_facets(),
        "owners": selectors.metric_owner_names(),
        "statuses": MetricStatus.choices,
        "total": Metric.objects.count(),
        "can_propose": allowed(request.user, "metric.propose"),
        "can_ingest": allowed(request.user, "ingest.run"),
        "can_manage_webhooks": allowed(request.user, "webhook.manage"),
    }
    return render_page(
        request,
        "metrics_dictionary/index.html",
        context,
        fragment="metrics_dictionary/partials/_directory_results.html",
    )


# ---------------------------------------------------------------------------- the metric page


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
    metric = _metric_or_404(slug)
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
            "can_deprecate": metric.status not in (MetricStatus.DEPRECATED, MetricStatus.RETIRED)
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
    metric = _metric_or_404(slug)
    numbers = [request.GET.get(k, "") for k in ("a", "b")]
    if not all(n.isdigit() for n in numbers):
        return _refusal(request, "Pick two versions to compare.", status=400)
    old, new = (_version_or_404(metric, int(n)) for n in numbers)
    context = {"metric": metric, "old": old, "new": new, "diff": selectors.version_diff(old, new)}
    return render_page(
        request,
        "metrics_dictionary/compare.html",
        context,
        fragment="metrics_dictionary/partials/_diff.html",
    )


@view_allows("metric.comment", _metric_arg)
@require_POST
def comment_add(request: HttpRequest, slug: str) -> HttpResponse:
    metric = request.metric
    form = CommentForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            services.metric_comment_add(
                metric=metric, body=form.cleaned_data["body"], actor=request.user
            )
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


# ---------------------------------------------------------------------------- propose and edit


def _save_definition(request: HttpRequest, form: DefinitionForm, save) -> HttpResponse | None:
    """Run ``save()`` (a service call returning the version), then submit if asked; None when refused."""
    try:
        version = save()
        if request.POST.get("action") == "submit":
            services.metric_version_submit(version=version, actor=request.user)
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
            lambda: services.metric_propose(
                name=data["name"],
                definition=form.definition(),
                actor=request.user,
                tier=data["tier"] or 3,
                domain=data["domain"],
                category=data["category"],
                owner_users=data["owners"],
            ),
        )
        if response:
            return response
    return _form_page(request, form, title="Propose a metric")


@view_allows("metric.propose", _metric_arg)
@require_http_methods(["GET", "POST"])
def propose_version(request: HttpRequest, slug: str) -> HttpResponse:
    """A new draft version of an existing metric, starting from its approved definition."""
    metric = request.metric
    if metric.status == MetricStatus.RETIRED:
        return _refusal(
            request, f"“{metric.name}” is retired; it no longer takes changes.", status=409
        )
    base = metric.current_version or metric.versions.order_by("-number").first()
    form = DefinitionForm(request.POST or None, new_metric=False, version=base)
    if request.method == "POST" and form.is_valid():
        response = _save_definition(
            request,
            form,
            lambda: services.metric_version_propose(
                metric=metric, definition=form.definition(), actor=request.user
            ),
        )
        if response:
            return response
    return _form_page(
        request, form, title=f"Propose a change to {metric.name}", metric=metric, version=base
    )


@view_allows("metric.edit", _version_arg)
@require_http_methods(["GET", "POST"])
def version_edit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The proposer edits their draft (or a version sent back with changes requested)."""
    version = request.version
    if not version.is_editable:
        return _refusal(
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
            lambda: services.metric_version_update(
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


# ---------------------------------------------------------------------------- review


@view_allows("catalog.view")
@require_GET
def version_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """One version: its definition, the diff against the approved one, the impact, and the
    reviewer's decision (approve / request changes / reject)."""
    metric = _metric_or_404(slug)
    version = _version_or_404(metric, number)
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


@view_allows("catalog.view", _version_arg)
@require_POST
def version_decide(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Approve, request changes or reject, with a comment. Refusals come back as sentences."""
    version = request.version
    decision = check(request.user, "metric.review", version)
    if not decision:
        return _refusal(request, decision.reason, status=403)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _refusal(request, "Choose approve, request changes or reject.", status=400)
    action = {
        "approve": services.metric_version_approve,
        "request_changes": services.metric_version_request_changes,
        "reject": services.metric_version_reject,
    }[form.cleaned_data["decision"]]
    try:
        version = action(version=version, actor=request.user, comment=form.cleaned_data["comment"])
    except WorkflowError as exc:
        return _refusal(request, exc)
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
    return _done(
        request, reverse("metrics_dictionary:version", args=[version.metric.slug, version.number])
    )


@view_allows("metric.submit", _version_arg)
@require_POST
def version_submit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = request.version
    try:
        services.metric_version_submit(
            version=version, actor=request.user, comment=request.POST.get("comment", "")
        )
    except WorkflowError as exc:
        return _refusal(request, exc)
    messages.success(request, f"v{version.number} is in review; its reviewers have been told.")
    return _done(
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


# ---------------------------------------------------------------------------- change log and deprecation


@view_allows("catalog.view")
@require_GET
def changes(request: HttpRequest) -> HttpResponse:
    """Release notes: approved changes and deprecations, filtered by domain, owner, tier."""
    filters = {k: request.GET.get(k, "") for k in ("domain", "owner", "tier")}
    entries = selectors.changelog(
        domain=filters["domain"], owner=filters["owner"], tier=filters["tier"] or None
    )
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return render_page(
        request,
        "metrics_dictionary/changes.html",
        {
            "page": Paginator(entries, 30).get_page(request.GET.get("page")),
            "filters": filters,
            "domains": [d for d, _n in selectors.metric_facets()["domain"]],
            "owners": selectors.metric_owner_names(),
            "feed_url": reverse("metrics_dictionary:changelog_feed")
            + (f"?{query}" if query else ""),
        },
        fragment="metrics_dictionary/partials/_changes_list.html",
    )


@view_allows("metric.deprecate", _metric_arg)
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
                services.metric_deprecate(
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


@view_allows("metric.manage", _metric_arg)
@require_http_methods(["GET", "POST"])
def metric_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """Owners, governance reviewers and admins change a metric's name, tier, domain and owners."""
    metric = request.metric
    form = MetricSettingsForm(request.POST or None, initial=MetricSettingsForm.initial_for(metric))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # one change: name/tier and owners together or not at all
                services.metric_update(
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
                        services.metric_owners_set(
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
        {"metric": metric, "form": form},
        status=400 if form.is_bound else 200,
    )


@view_allows("metric.deprecate", _metric_arg)
@require_POST
def deprecation_withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    """Undo a deprecation that has not retired the metric yet."""
    metric = request.metric
    try:
        services.deprecation_withdraw(subject=metric, actor=request.user)
    except WorkflowError as exc:
        return _refusal(request, exc)
    messages.success(request, f"The deprecation of {metric.name} is withdrawn.")
    return redirect("metrics_dictionary:metric", slug=metric.slug)


# ---------------------------------------------------------------------------- webhooks (admins)
# A signing secret is shown once, in the answer to the POST that made it (create, rotate),
# never stored in the session; those answers are not cached.


def _webhook_or_404(pk: int) -> Webhook:
    # Loaded after the permission check, so a non-admin cannot probe which ids exist.
    try:
        return Webhook.objects.select_related("created_by").get(pk=pk)
    except Webhook.DoesNotExist:
        raise Http404(f"No webhook {pk}") from None


def _webhook_page(
    request: HttpRequest,
    webhook: Webhook,
    *,
    form: WebhookEditForm | None = None,
    secret: str | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "metrics_dictionary/webhook_detail.html",
        {
            "webhook": webhook,
            "secret": secret,
            "form": form or WebhookEditForm(initial=WebhookEditForm.initial_for(webhook)),
            "deliveries": list(selectors.webhook_deliveries(webhook)[:50]),
        },
        status=status,
    )


@never_cache
@view_allows("webhook.manage")
@require_http_methods(["GET", "POST"])
def webhooks(request: HttpRequest) -> HttpResponse:
    """The outgoing webhooks, their last delivery and recent failures; a form adds one."""
    form = WebhookCreateForm(request.POST or None)
    created, secret, status = None, None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                created, secret = services.webhook_create(
                    name=data["name"],
                    url=data["url"],
                    events=data["events"],
                    secret_env=data["secret_env"],
                    actor=request.user,
                )
            except WorkflowError as exc:
                form.add_service_errors(exc)
                status = exc.status_code
            else:
                form, status = WebhookCreateForm(), 200
    return render(
        request,
        "metrics_dictionary/webhooks.html",
        {
            "webhooks": list(selectors.webhooks_list()),
            "form": form,
            "created": created,
            "secret": secret,
        },
        status=status,
    )


@never_cache
@view_allows("webhook.manage")
@require_GET
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One webhook: its settings (editable), its secret's source, its last 50 deliveries."""
    return _webhook_page(request, _webhook_or_404(pk))


@view_allows("webhook.manage")
@require_POST
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = _webhook_or_404(pk)
    form = WebhookEditForm(request.POST)
    if not form.is_valid():
        return _webhook_page(request, webhook, form=form, status=400)
    data = form.cleaned_data
    try:
        services.webhook_update(
            webhook=webhook,
            actor=request.user,
            name=data["name"],
            url=data["url"],
            events=data["events"],
            active=data["active"],
        )
    except WorkflowError as exc:
        form.add_service_errors(exc)
        return _webhook_page(request, webhook, form=form, status=exc.status_code)
    messages.success(request, "Webhook saved.")
    return redirect("metrics_dictionary:webhook", pk=webhook.pk)


@never_cache
@view_allows("webhook.manage")
@require_POST
def webhook_rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    """A new signing secret, shown once on the webhook's page; the old one stops working."""
    webhook = _webhook_or_404(pk)
    try:
        secret = services.webhook_secret_rotate(webhook=webhook, actor=request.user)
    except WorkflowError as exc:
        return _refusal(request, exc)
    return _webhook_page(request, _webhook_or_404(pk), secret=secret)


@view_allows("webhook.manage")
@require_POST
def webhook_ping(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = _webhook_or_404(pk)
    try:
        services.webhook_ping(webhook=webhook, actor=request.user)
    except WorkflowError as exc:
        return _refusal(request, exc)
    messages.success(request, "Test event sent; its delivery is listed below.")
    return redirect("metrics_dictionary:webhook", pk=webhook.pk)


@view_allows("webhook.manage")
@require_http_methods(["GET", "POST"])
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes the webhook and its deliveries."""
    webhook = _webhook_or_404(pk)
    if request.method == "GET":
        return render(
            request,
            "metrics_dictionary/webhook_delete.html",
            {"webhook": webhook, "deliveries": webhook.deliveries.count()},
        )
    try:
        services.webhook_delete(webhook=webhook, actor=request.user)
    except WorkflowError as exc:
        return _refusal(request, exc)
    messages.success(request, f"Webhook “{webhook.name}” deleted.")
    return redirect("metrics_dictionary:webhooks")
