"""gunicorn settings for Lexicon's web process (read from the working directory by default:
``gunicorn config.wsgi:application`` in the repository root, or ``-c gunicorn.conf.py``).

Every value can be overridden from the environment (``GUNICORN_*`` below) or on the
command line. Figures behind the defaults are in ``bench/README.md`` ("Serving at load").

Why gthread: a page spends much of its time waiting on PostgreSQL and Redis; threads
overlap those waits inside one process, and a few processes use every core without the
memory of one process per concurrent request. Pages are short (tens of milliseconds), so
a small thread pool per process is enough; more threads only queue on the GIL.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return max(1, int(value))
    except ValueError as exc:
        raise SystemExit(f"gunicorn.conf.py: {name}={value!r} is not a whole number.") from exc


_host = os.environ.get("HOST", "0.0.0.0")  # noqa: S104 - a container listens on every interface
bind = os.environ.get("GUNICORN_BIND", f"{_host}:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
# One process per core plus one, so a process that waits on the database leaves no core idle.
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 4)
# Ingest uploads are streamed to disk by the web process; a slow client must not be cut off.
timeout = _int("GUNICORN_TIMEOUT", 120)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle processes now and then so that a slow leak never grows without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)
# Load Django once in the master; workers fork from it (faster start, shared pages of memory).
# Database and Redis connections are opened lazily per thread, after the fork.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in {"1", "true", "yes"}
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Behind a TLS proxy the X-Forwarded-* headers are trusted from these addresses only.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
