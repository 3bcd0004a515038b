"""A request id on every request, so audit rows of one request can be found together."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

_request = ContextVar("lexicon_request", default=None)
_VALID_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def current_request():
    """The request being served in this thread or task, if any."""
    return _request.get()


def current_request_id() -> str:
    request = _request.get()
    return getattr(request, "id", "") if request is not None else ""


class RequestIdMiddleware:
    """Sets ``request.id`` from ``X-Request-ID`` (when it is a sane token) or a new uuid,
    echoes it in the response, and makes the request visible to ``audit_record``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        response["X-Request-ID"] = request.id
        return response
