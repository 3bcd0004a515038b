"""One place that decides whether a request gets a whole page or an HTMX fragment."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def wants_fragment(request: HttpRequest) -> bool:
    """True for an HTMX request that swaps part of a page (not a boosted navigation)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    fragment: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render ``fragment`` for an HTMX swap when given, else the whole ``template``."""
    name = fragment if fragment and wants_fragment(request) else template
    return render(request, name, context, status=status)
