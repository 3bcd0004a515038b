"""API tokens, stored as digests: create, revoke, authenticate, and convert DRF's old ones.

A key looks like ``lx_`` + 43 URL-safe characters (256 random bits). The database keeps
its first 12 characters (``prefix``, to find the row and to show in lists) and a SHA-256
digest of the whole key. A plain, fast digest is right here, unlike for passwords: a
password needs a slow, salted hash because people pick guessable ones, so a stolen hash
can be attacked with a dictionary. These keys are random and long (even DRF's old ones have
160 random bits), so nobody can search that space however fast the digest; a salt or a
slow hash would only cost time on every API request.

Requests send ``Authorization: Token <key>`` (what CI scripts already do) or
``Authorization: Bearer <key>`` (what OpenLineage clients send). A wrong, expired or revoked
key is answered 401 with a ``WWW-Authenticate`` challenge, never 403: 403 means "you are
known and may not", 401 "we do not know who you are".
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from governance.models import ApiToken
from governance.services import audit_record

KEY_PREFIX = "lx_"
PREFIX_LENGTH = 12
# last_used_at is written at most this often per token (one UPDATE, not one per request).
LAST_USED_RESOLUTION = timedelta(minutes=1)
AUTH_KEYWORDS = (b"token", b"bearer")
REALM = "Lexicon API"


class TokenError(ValueError):
    """A token cannot be made as asked (a duplicate name, a bad expiry)."""


class TokenRefused(Exception):
    """The key does not authenticate; ``str()`` says why, for the 401 body."""


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str:
    return key[:PREFIX_LENGTH]


def api_token_create(
    *, user, name: str, expires_at: datetime | None = None, actor
) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns the row and the key, which is not stored anywhere."""
    name = name.strip()
    if not name:
        raise TokenError("Give the token a name, e.g. what will use it.")
    if expires_at is not None and expires_at <= timezone.now():
        raise TokenError("The expiry must be in the future.")
    if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
        raise TokenError(
            f"{user.get_username()} already has a token named {name!r}; "
            "revoke it or pick another name."
        )
    for _attempt in range(5):  # a prefix collision (54 random bits) is all but impossible
        key = new_key()
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user,
                    name=name,
                    prefix=key_prefix(key),
                    key_hash=key_digest(key),
                    expires_at=expires_at,
                )
                audit_record(
                    actor=actor,
                    action="api_token.create",
                    obj=token,
                    after={
                        "owner": user.get_username(),
                        "name": name,
                        "prefix": token.prefix,
                        "expires_at": expires_at.isoformat() if expires_at else None,
                    },
                )
        except IntegrityError:
            if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
                raise TokenError(
                    f"{user.get_username()} already has a token named {name!r}."
                ) from None
            continue
        return token, key
    raise RuntimeError("could not draw an unused token prefix")  # pragma: no cover


def api_token_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Revoke at once (the next request with it gets 401); revoking twice changes nothing."""
    now = timezone.now()
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
        token.revoked_at = now
        audit_record(
            actor=actor,
            action="api_token.revoke",
            obj=token,
            before={"revoked_at": None},
            after={"revoked_at": now.isoformat()},
        )
    else:
        token.refresh_from_db(fields=["revoked_at"])
    return token


def api_token_authenticate(*, key: str) -> ApiToken:
    """The live token for ``key`` (with its user), or ``TokenRefused`` saying why not."""
    token = ApiToken.objects.select_related("user").filter(prefix=key_prefix(key)).first()
    # Compare digests in constant time, so the answer's timing says nothing about the key.
    if token is None or not hmac.compare_digest(token.key_hash, key_digest(key)):
        raise TokenRefused("Invalid token.")
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused("Token has been revoked.")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRefused("Token has expired.")
    if not token.user.is_active:
        raise TokenRefused("User inactive or deleted.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


class ApiTokenAuthentication(BaseAuthentication):
    """DRF authentication by ``Authorization: Token <key>`` or ``Authorization: Bearer <key>``.

    Listed first in REST_FRAMEWORK, so that DRF answers unauthenticated requests 401 with
    this class's challenge (DRF takes the first class's ``authenticate_header``).
    """

    def authenticate(self, request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in AUTH_KEYWORDS:
            return None  # no token offered: the session may still authenticate
        if len(parts) != 2:
            raise AuthenticationFailed(
                "Invalid token header: send 'Token <key>' or 'Bearer <key>'."
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token.") from None
        try:
            token = api_token_authenticate(key=key)
        except TokenRefused as exc:
            raise AuthenticationFailed(str(exc)) from None
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'Token realm="{REALM}", Bearer realm="{REALM}"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema (and Swagger UI's "Authorize") describes the token."""

    target_class = "governance.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`manage.py token_create`, or the API tokens page), "
            "sent as `Authorization: Bearer <key>` or `Authorization: Token <key>`.",
        }


# ---- from rest_framework.authtoken (plain-text keys) to ApiToken

LEGACY_TABLE = "authtoken_token"
LEGACY_NAME = "legacy token"


def legacy_authtokens_convert(*, connection, api_token_model=ApiToken) -> int:
    """Turn every row of DRF's ``authtoken_token`` into an ApiToken holding only the key's
    digest (the same key keeps working), then drop that table and forget its migrations, so
    no plain-text key stays in the database. Returns how many were converted; on a database
    that never had DRF's tokens it does nothing. The data migration calls it with the
    historical model."""
    if LEGACY_TABLE not in connection.introspection.table_names():
        return 0
    # Double-quoted identifiers: PostgreSQL and SQLite, the two databases Lexicon runs on.
    with connection.cursor() as cursor:
        cursor.execute('SELECT "key", "user_id", "created" FROM "authtoken_token"')
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        api_token_model.objects.create(
            user_id=user_id,
            name=LEGACY_NAME,
            prefix=key_prefix(key),
            key_hash=key_digest(key),
            created_at=_aware(created),
        )
    with connection.cursor() as cursor:
        cursor.execute('DROP TABLE "authtoken_token"')
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])
    return len(rows)


def _aware(value: datetime | str | None) -> datetime:
    if value is None:
        return timezone.now()
    if isinstance(value, str):  # SQLite hands raw cursors text
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
