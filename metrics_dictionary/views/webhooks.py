"""Outgoing webhooks (admins). A signing secret is shown once, in the answer to the POST that
made it (create, rotate), never stored in the session; those answers are not cached."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lexicon_core.permissions import view_allows
from metrics_dictionary import selectors
from metrics_dictionary.errors import WorkflowError
from metrics_dictionary.forms import WebhookCreateForm, WebhookEditForm
from metrics_dictionary.models import Webhook
from metrics_dictionary.services import webhooks as webhook_services
from metrics_dictionary.views._common import refusal


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
                created, secret = webhook_services.webhook_create(
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
        webhook_services.webhook_update(
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
        secret = webhook_services.webhook_secret_rotate(webhook=webhook, actor=request.user)
    except WorkflowError as exc:
        return refusal(request, exc)
    return _webhook_page(request, _webhook_or_404(pk), secret=secret)


@view_allows("webhook.manage")
@require_POST
def webhook_ping(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = _webhook_or_404(pk)
    try:
        webhook_services.webhook_ping(webhook=webhook, actor=request.user)
    except WorkflowError as exc:
        return refusal(request, exc)
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
        webhook_services.webhook_delete(webhook=webhook, actor=request.user)
    except WorkflowError as exc:
        return refusal(request, exc)
    messages.success(request, f"Webhook “{webhook.name}” deleted.")
    return redirect("metrics_dictionary:webhooks")
