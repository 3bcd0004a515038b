"""The API tokens page: a signed-in user makes (key shown once) and revokes their own tokens."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from governance.forms import ApiTokenForm
from governance.models import ApiToken
from governance.tokens import TokenError, api_token_create, api_token_revoke


@never_cache  # the response that shows a new key must not be kept by any cache
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    created = key = None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_days"]
        try:
            created, key = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                actor=request.user,
                expires_at=timezone.now() + timedelta(days=days) if days else None,
            )
            form = ApiTokenForm()
        except TokenError as exc:
            form.add_error("name", str(exc))
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at", "-id")
    return render(
        request,
        "governance/api_tokens.html",
        {"form": form, "tokens": tokens, "created": created, "key": key, "now": timezone.now()},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    # Only one's own tokens: somebody else's is a 404, not a hint that it exists.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token, actor=request.user)
    messages.success(
        request, f"Token “{token.name}” ({token.prefix}…) is revoked; requests with it now get 401."
    )
    return redirect("governance:api_tokens")
