"""One catalog-wide generation number, and caches keyed by it.

Every committed write to the database (an ingest, a reviewer's decision, a query log, a
metric approval; from a web process or a worker) moves the generation forward, right after
its commit. A value cached under generation *g* is therefore never served once anything
changed: the next reader asks for *g + 1* and computes afresh. Writes are seen where they
are sent (a database execute wrapper installed on every connection), so no service has to
remember to invalidate anything; writes to tables that no cached page shows (sessions,
sign-in failures, token use, ingest-run heartbeats) do not count.

Cached values also expire after ``ttl`` seconds, for what changes with the clock alone
(the age of data against its freshness SLA). With no shared cache configured (the local
memory cache of a single process, or a dummy cache) it works the same within the process.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

KEY = "lexicon:generation"
DEFAULT_TTL = 30
# Writes to these tables change nothing a cached page shows.
IGNORED_TABLES = frozenset(
    {
        "django_session",
        "governance_loginfailure",
        "governance_apitoken",
        "catalog_ingestrun",
    }
)
_WRITE = re.compile(
    r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|COPY|MERGE\s+INTO)"
    r'\s+"?(\w+)',
    re.IGNORECASE,
)


def generation() -> int:
    """The current generation (starts from the clock, so a lost key never goes back).

    A transaction of this thread that wrote and has not committed yet moves it first, so
    that its own later reads (a test, a request writing then rendering) see its writes."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if getattr(connection, "_lexicon_wrote", False):
            connection._lexicon_wrote = False
            generation_bump()
    value = cache.get(KEY)
    if value is None:
        cache.add(KEY, time.time_ns() // 1000)
        value = cache.get(KEY) or 0
    return int(value)


def generation_bump() -> None:
    try:
        cache.incr(KEY)
    except ValueError:  # the key was evicted or never set: restart above any earlier value
        cache.set(KEY, time.time_ns() // 1000, None)


def _bump_quietly() -> None:
    """Never fails the write it follows: with the cache down, entries expire by their ttl."""
    try:
        generation_bump()
    except Exception:
        logger.exception(
            "could not move the catalog generation on; cached pages expire in %s s", DEFAULT_TTL
        )


def writes_table(sql: str) -> str | None:
    """The table a write statement changes (lower case), or None for a read."""
    match = _WRITE.match(sql)
    return match.group(1).lower() if match else None


def _track_writes(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    table = writes_table(sql) if isinstance(sql, str) else None
    if table is not None and table not in IGNORED_TABLES:
        connection = context["connection"]
        if connection.in_atomic_block:
            # Readers elsewhere see the writes once they are committed: move on then. Until
            # then this thread's own reads move it first (``generation``).
            connection._lexicon_wrote = True
            callbacks = connection.run_on_commit
            if not any(fn is _bump_quietly for _sids, fn, _robust in callbacks):
                connection.on_commit(_bump_quietly, robust=True)
        else:
            _bump_quietly()
    return result


def install(sender=None, connection=None, **kwargs) -> None:
    """``connection_created`` receiver: watch this connection's writes (once)."""
    if connection is not None and _track_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_track_writes)


def setting_changed(**kwargs) -> None:
    """``setting_changed`` receiver: what was cached may depend on the old value."""
    _bump_quietly()


def cached(key: str, compute: Callable[[], Any], *, ttl: int = DEFAULT_TTL) -> Any:
    """``compute()``, or its value cached under ``key`` in this generation."""
    full = f"lexicon:g{generation()}:{key}"
    value = cache.get(full)
    if value is None:
        value = compute()
        cache.set(full, value, ttl)
    return value


def reader_key(request: HttpRequest) -> str:
    """What a role-dependent answer to ``request`` may be cached under: its URL (hashed)
    and the reader's roles."""
    from lexicon_core.roles import user_roles

    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"{digest}:{','.join(sorted(user_roles(request.user)))}"


def cached_fragment(ttl: int = DEFAULT_TTL):
    """View decorator for an htmx fragment that depends only on its URL and the reader's
    roles: the rendered 200 answer is kept for this generation. Put it *inside*
    ``view_allows`` so that permission is checked on every request. An answer with a form
    token or a cookie is never kept."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method != "GET":
                return view(request, *args, **kwargs)
            name = f"{view.__module__}.{view.__name__}"
            key = f"lexicon:g{generation()}:fragment:{name}:{reader_key(request)}"
            hit = cache.get(key)
            if hit is not None:
                content, content_type = hit
                return HttpResponse(content, content_type=content_type)
            response = view(request, *args, **kwargs)
            if (
                response.status_code == 200
                and not response.streaming
                and not response.cookies
                and b"csrfmiddlewaretoken" not in response.content
                and not response.has_header("HX-Trigger")
            ):
                cache.set(key, (response.content, response["Content-Type"]), ttl)
            return response

        return wrapper

    return decorator
