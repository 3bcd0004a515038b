"""Lexicon settings: one module, every value from the environment.

Embedded default (nothing set): SQLite under ``var/``, Celery tasks run in-process.
Production: set ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS`` ...
The README's configuration table lists every variable read here.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("LEXICON_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
TESTING = "pytest" in sys.modules

# --- secrets --------------------------------------------------------------------------
SECRET_KEY = env_secret("SECRET_KEY")
if SECRET_KEY is None:
    if DEBUG or TESTING:
        # Only for a laptop trial or the test suite; never used with DEBUG off in a server.
        SECRET_KEY = "insecure-dev-key-set-SECRET_KEY-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off.")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG or TESTING else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- apps -----------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "catalog",
    "lineage",
    "governance",
    "metrics_dictionary",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy from SECURE_CSP (below); views may override it per response.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # request.id from X-Request-ID or a new uuid; audit rows record it.
    "governance.middleware.RequestIdMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.navigation",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'lexicon.sqlite3'}")
try:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {exc}") from None
if TESTING:
    # Live-server threads must not keep connections open past the test database's teardown.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _sqlite_name = str(DATABASES["default"]["NAME"])
    if _sqlite_name and _sqlite_name != ":memory:" and not _sqlite_name.startswith("file:"):
        Path(_sqlite_name).parent.mkdir(
            parents=True, exist_ok=True
        )  # the embedded mode's var/ directory
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        # WAL lets the web process read while an in-process ingest writes.
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20}
    )
    # The test database is a file too, never Django's default shared in-memory one: the
    # live server (and runserver) answer each request in its own thread, and threads that
    # share one in-memory connection break on parallel fragment requests. One file per
    # test process (pytest-django adds a suffix per xdist worker); Django deletes it after.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(Path(tempfile.gettempdir()) / f"lexicon-test-{os.getpid()}.sqlite3")
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and Celery ------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", None)
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    # Sessions read from Redis on every request, written through to the database (they
    # survive a Redis restart): one query less per page.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker every task runs in-process, so a laptop trial needs nothing else.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", REDIS_URL is None)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3600, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 3300, minimum=5)
if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    # Celery refuses to send a task whose soft limit exceeds its hard limit (beat fails every run).
    raise ImproperlyConfigured(
        f"CELERY_TASK_SOFT_TIME_LIMIT ({CELERY_TASK_SOFT_TIME_LIMIT}) must be below "
        f"CELERY_TASK_TIME_LIMIT ({CELERY_TASK_TIME_LIMIT})."
    )
# Beat records a worker heartbeat every minute; /healthz calls the worker down (503) once the
# last one is older than this.
LEXICON_HEARTBEAT_STALE_SECONDS = env_int("LEXICON_HEARTBEAT_STALE_SECONDS", 180, minimum=60)
# Crash recovery of ingest runs (catalog.services.ingest_runs_sweep, every 15 s): a running
# run writes a heartbeat every LEXICON_INGEST_HEARTBEAT_SECONDS; one silent for
# LEXICON_INGEST_STALE_SECONDS is queued again, up to LEXICON_INGEST_MAX_ATTEMPTS starts, then
# failed; a run queued for LEXICON_INGEST_RESEND_SECONDS without starting is sent again.
LEXICON_INGEST_HEARTBEAT_SECONDS = env_int("LEXICON_INGEST_HEARTBEAT_SECONDS", 10, minimum=1)
LEXICON_INGEST_STALE_SECONDS = env_int("LEXICON_INGEST_STALE_SECONDS", 30, minimum=5)
LEXICON_INGEST_MAX_ATTEMPTS = env_int("LEXICON_INGEST_MAX_ATTEMPTS", 3, minimum=1)
LEXICON_INGEST_RESEND_SECONDS = env_int("LEXICON_INGEST_RESEND_SECONDS", 120, minimum=30)
if LEXICON_INGEST_STALE_SECONDS < 3 * LEXICON_INGEST_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        f"LEXICON_INGEST_STALE_SECONDS ({LEXICON_INGEST_STALE_SECONDS}) must be at least three "
        f"heartbeats (LEXICON_INGEST_HEARTBEAT_SECONDS={LEXICON_INGEST_HEARTBEAT_SECONDS})."
    )

# --- auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The user of a session comes from the cache (governance.auth_cache), with their roles; the
# plain ModelBackend second keeps sessions signed in before it valid.
AUTHENTICATION_BACKENDS = [
    "governance.auth_cache.CachedModelBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sign-in throttling (governance.throttle): this many failed sign-ins for one username within
# the window lock it for the rest of the window; an address gets a higher limit (shared offices).
LEXICON_LOGIN_MAX_FAILURES = env_int("LEXICON_LOGIN_MAX_FAILURES", 5, minimum=1)
LEXICON_LOGIN_MAX_FAILURES_PER_IP = env_int("LEXICON_LOGIN_MAX_FAILURES_PER_IP", 50, minimum=1)
LEXICON_LOGIN_LOCKOUT_MINUTES = env_int("LEXICON_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)

# --- i18n -----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- static files (whitenoise) ----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# --- security -------------------------------------------------------------------------
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG and not TESTING)
# Behind a reverse proxy that terminates TLS and appends the client to X-Forwarded-For.
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Strict: no inline script or style anywhere (templates load static files only; HTMX's
# indicator styles are off, see base.html). The API docs pages relax it for themselves only
# (config/api_docs.py). tests/config/test_csp.py pins these directives.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- email (Django 6.1 MAILERS) -----------------------------------------------------------
_EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
_EMAIL_OPTIONS: dict = {}
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    _EMAIL_OPTIONS = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25, minimum=1),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_secret("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": env_int("EMAIL_TIMEOUT", 10, minimum=1),
    }
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": _EMAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "lexicon@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: DRF answers a request that is not authenticated with the first class's
    # challenge, so a missing, wrong, expired or revoked token gets 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lexicon API",
    "DESCRIPTION": "Data catalog and governed metric dictionary for dbt teams.",
    "VERSION": "1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger/Redoc assets are served from the installed sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status"; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "ClassificationStatusEnum": "governance.models.ColumnClassification.Status",
        "MetricStatusEnum": "metrics_dictionary.models.MetricStatus",
        "WebhookDeliveryStatusEnum": "metrics_dictionary.models.WebhookDelivery.Status",
    },
}

# --- Lexicon --------------------------------------------------------------------------
# Uploads larger than this are refused before they are parsed (bytes, after gunzip).
LEXICON_MAX_ARTIFACT_BYTES = env_int("LEXICON_MAX_ARTIFACT_BYTES", 512 * 1024 * 1024, minimum=1024)
# Raw statement text can carry PII in its literals; keep it only when asked to.
LEXICON_STORE_RAW_QUERY_TEXT = env_bool("LEXICON_STORE_RAW_QUERY_TEXT", False)
# Query-log ids are remembered this many days before a source's watermark (dedup of
# overlapping windows); statements older than that are skipped as already covered.
LEXICON_QUERYLOG_DEDUP_DAYS = env_int("LEXICON_QUERYLOG_DEDUP_DAYS", 35, minimum=1)
# Processes that parse new statement shapes of a big query log while it is being read
# (1 = in-process).
LEXICON_QUERYLOG_PARSE_WORKERS = env_int("LEXICON_QUERYLOG_PARSE_WORKERS", 2, minimum=1)
# dbt meta keys read for owners, tier and PII (first match wins), comma-separated.
LEXICON_META_OWNER_KEYS = env_list("LEXICON_META_OWNER_KEYS", ["owner", "owners"])
LEXICON_META_TIER_KEYS = env_list("LEXICON_META_TIER_KEYS", ["tier"])
LEXICON_META_PII_KEYS = env_list("LEXICON_META_PII_KEYS", ["contains_pii", "pii", "sensitivity"])
LEXICON_PII_TAGS = env_list("LEXICON_PII_TAGS", ["pii", "sensitive"])


# Default freshness SLA per tier, hours, as "1:24,2:72,3:168" (governance policies refine it).
def _tier_hours(items: list[str]) -> dict[int, int]:
    out = {}
    for item in items:
        tier, _, hours = item.partition(":")
        if not (tier.strip().isdigit() and hours.strip().isdigit()):
            raise ImproperlyConfigured(
                f"LEXICON_TIER_FRESHNESS_SLA_HOURS: {item!r} is not tier:hours, e.g. 1:24."
            )
        out[int(tier)] = int(hours)
    return out


LEXICON_TIER_FRESHNESS_SLA_HOURS = _tier_hours(
    env_list("LEXICON_TIER_FRESHNESS_SLA_HOURS", ["1:24", "2:72", "3:168"])
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
# Post-ingest hooks of higher apps, called inside the ingest transaction with the outcome.
# Parse changed models' SQL for column lineage after every dbt ingest (a Celery task).
LEXICON_COLUMN_LINEAGE_AFTER_INGEST = env_bool("LEXICON_COLUMN_LINEAGE_AFTER_INGEST", True)
# Where uploaded artifacts wait for a worker (workers must see the same directory).
LEXICON_UPLOAD_DIR = Path(env_str("LEXICON_UPLOAD_DIR", str(MEDIA_ROOT / "ingest")))
# PII heuristics: a JSON file replacing governance.pii.rules.DEFAULT_PII_RULES (same shape);
# empty: the defaults.
LEXICON_PII_RULES_FILE = env_str("LEXICON_PII_RULES_FILE", "")
# Column-lineage edge kinds along which a confirmed PII classification is suggested downstream
# (copy, transform, aggregate); aggregates are left out by default (a count of emails is not PII).
LEXICON_PII_PROPAGATE_KINDS = env_list("LEXICON_PII_PROPAGATE_KINDS", ["copy", "transform"])
if unknown_kinds := set(LEXICON_PII_PROPAGATE_KINDS) - {"copy", "transform", "aggregate"}:
    raise ImproperlyConfigured(
        f"LEXICON_PII_PROPAGATE_KINDS: {', '.join(sorted(unknown_kinds))} is not copy, "
        "transform or aggregate."
    )


# --- metric dictionary -----------------------------------------------------------------
# Approvals a metric version needs before it is published, per metric tier, as
# "tier:approvals:governance", e.g. "1:2:1" = two approvals, at least one of them by a
# governance reviewer. The one place the tier rule lives (metrics_dictionary.rules reads it).
def _approval_rules(items: list[str]) -> dict[int, dict[str, int]]:
    out = {}
    for item in items:
        parts = [p.strip() for p in item.split(":")]
        if (
            len(parts) != 3
            or not all(p.isdigit() for p in parts)
            or int(parts[1]) < 1
            or int(parts[2]) > int(parts[1])
        ):
            raise ImproperlyConfigured(
                f"LEXICON_METRIC_APPROVAL_RULES: {item!r} is not tier:approvals:governance, "
                "e.g. 1:2:1 "
                "(at least one approval, governance approvals not more than approvals)."
            )
        out[int(parts[0])] = {"approvals": int(parts[1]), "governance": int(parts[2])}
    return out


LEXICON_METRIC_APPROVAL_RULES = _approval_rules(
    env_list("LEXICON_METRIC_APPROVAL_RULES", ["1:2:1", "2:1:0", "3:1:0"])
)


# Where links in emails, the Atom feed and webhook payloads point (no trailing slash).
def _served_address() -> str:
    """Unset LEXICON_BASE_URL: the address `make run` serves, http://HOST:PORT (default
    localhost:8000; all interfaces, 0.0.0.0 or ::, read as localhost)."""
    host = env_str("HOST", "localhost")
    host = "localhost" if host in ("0.0.0.0", "::") else host  # noqa: S104 (a comparison, no bind)
    return f"http://{f'[{host}]' if ':' in host else host}:{env_int('PORT', 8000, minimum=1)}"


LEXICON_BASE_URL = (env_str("LEXICON_BASE_URL", None) or _served_address()).rstrip("/")
# Outgoing webhooks: seconds before a delivery attempt times out, and attempts in all.
LEXICON_WEBHOOK_TIMEOUT_SECONDS = env_int("LEXICON_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
LEXICON_WEBHOOK_MAX_ATTEMPTS = env_int("LEXICON_WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)
# First retry delay of a failed webhook delivery (seconds); it doubles per retry, at most an hour.
LEXICON_WEBHOOK_BACKOFF_SECONDS = env_int("LEXICON_WEBHOOK_BACKOFF_SECONDS", 30, minimum=1)
