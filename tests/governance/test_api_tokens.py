"""API tokens: stored as digests, sent as Token or Bearer, refused with 401, converted from
DRF's."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from governance.models import ApiToken, AuditEvent
from governance.tokens import (
    LEGACY_TABLE,
    TokenError,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    legacy_authtokens_convert,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/metrics/"


def _api(header: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


@pytest.fixture
def vera_key(viewer) -> str:
    return api_token_create(user=viewer, name="laptop", actor=viewer)[1]


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "bearer"])
def test_a_token_works_with_either_keyword(vera_key, keyword):
    assert _api(f"{keyword} {vera_key}").get(URL).status_code == 200


def test_the_database_holds_no_plain_key(vera_key, viewer):
    secret_part = vera_key[12:]
    for model in apps.get_models():
        for row in model.objects.values():
            text = repr(row)
            assert vera_key not in text and secret_part not in text, model._meta.label
    token = ApiToken.objects.get(user=viewer)
    assert token.prefix == vera_key[:12] and len(token.key_hash) == 64


@pytest.mark.parametrize(
    "header, reason",
    [
        ("Token lx_not-a-real-key-at-all-000000000000000000000", "Invalid token."),
        ("Bearer ", "Invalid token header"),
        ("Token two parts", "Invalid token header"),
    ],
)
def test_a_wrong_key_is_answered_401_with_a_challenge(vera_key, header, reason):
    response = _api(header).get(URL)
    assert response.status_code == 401 and reason in response.json()["detail"]
    assert "Bearer" in response["WWW-Authenticate"] and "Token" in response["WWW-Authenticate"]


def test_a_right_prefix_with_a_wrong_secret_is_refused(vera_key):
    forged = vera_key[:12] + "x" * (len(vera_key) - 12)
    assert _api(f"Token {forged}").get(URL).status_code == 401


def test_no_credentials_is_401_too(db):
    response = APIClient().get(URL)
    assert response.status_code == 401 and response.has_header("WWW-Authenticate")


def test_an_expired_token_is_refused(viewer):
    token, key = api_token_create(
        user=viewer, name="short", expires_at=timezone.now() + timedelta(hours=1), actor=viewer
    )
    assert _api(f"Token {key}").get(URL).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _api(f"Token {key}").get(URL)
    assert response.status_code == 401 and response.json()["detail"] == "Token has expired."


def test_a_revoked_token_is_refused_at_once_and_the_revocation_is_audited(viewer, vera_key):
    token = ApiToken.objects.get(user=viewer)
    api_token_revoke(token=token, actor=viewer)
    response = _api(f"Bearer {vera_key}").get(URL)
    assert response.status_code == 401 and response.json()["detail"] == "Token has been revoked."
    assert (
        AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.pk)).count() == 1
    )
    api_token_revoke(token=token, actor=viewer)  # twice: nothing more happens
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


def test_a_deactivated_owner_locks_the_token_out(viewer, vera_key):
    viewer.is_active = False
    viewer.save(update_fields=["is_active"])
    assert _api(f"Token {vera_key}").get(URL).status_code == 401


def test_last_use_is_written_at_most_once_a_minute(viewer, vera_key, django_assert_num_queries):
    api_token_authenticate(key=vera_key)
    token = ApiToken.objects.get(user=viewer)
    first = token.last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # the lookup only, no UPDATE
        api_token_authenticate(key=vera_key)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    api_token_authenticate(key=vera_key)
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=1)


def test_a_session_still_works_without_a_token(viewer_client):
    assert viewer_client.get(URL).status_code == 200


def test_names_are_unique_among_a_users_live_tokens(viewer, vera_key):
    with pytest.raises(TokenError, match="already has a token named 'laptop'"):
        api_token_create(user=viewer, name="laptop", actor=viewer)
    api_token_revoke(token=ApiToken.objects.get(user=viewer), actor=viewer)
    api_token_create(user=viewer, name="laptop", actor=viewer)  # the name is free again


def test_token_create_prints_only_the_key_and_sets_the_expiry(viewer):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "token_create", "vera", "--name", "dbt CI", "--expires-days", "30", stdout=out, stderr=err
    )
    key = out.getvalue().strip()
    assert re.fullmatch(r"lx_[A-Za-z0-9_-]{43}", key), out.getvalue()
    token = ApiToken.objects.get(prefix=key[:12])
    assert token.name == "dbt CI" and token.user == viewer
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert "Store the key now" in err.getvalue()
    assert _api(f"Bearer {key}").get(URL).status_code == 200
    with pytest.raises(CommandError, match="No user"):
        call_command("token_create", "nobody", "--name", "x", stdout=io.StringIO())


def test_token_revoke_command_revokes_by_prefix(viewer, vera_key):
    call_command("token_revoke", vera_key[:12], stdout=io.StringIO())
    assert _api(f"Token {vera_key}").get(URL).status_code == 401


def _legacy_table_with(key: str, user_id: int) -> None:
    created_type = "timestamp with time zone" if connection.vendor == "postgresql" else "datetime"
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE TABLE "{LEGACY_TABLE}" ("key" varchar(40) PRIMARY KEY, '  # noqa: S608 - test DDL
            f'"created" {created_type} NOT NULL, "user_id" integer NOT NULL)'
        )
        cursor.execute(
            f'INSERT INTO "{LEGACY_TABLE}" ("key", "created", "user_id") VALUES (%s, %s, %s)',  # noqa: S608
            [key, timezone.now() - timedelta(days=100), user_id],
        )


def test_the_migration_converts_drfs_plain_tokens_and_drops_their_table(viewer):
    old_key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"  # what DRF's authtoken made: 40 hex digits
    _legacy_table_with(old_key, viewer.pk)

    assert legacy_authtokens_convert(connection=connection) == 1

    token = ApiToken.objects.get(user=viewer)
    assert token.name == "legacy token" and token.prefix == old_key[:12]
    assert token.created_at < timezone.now() - timedelta(days=99)
    assert LEGACY_TABLE not in connection.introspection.table_names()
    assert _api(f"Token {old_key}").get(URL).status_code == 200  # clients need no new key
    assert legacy_authtokens_convert(connection=connection) == 0  # a fresh database: nothing to do
