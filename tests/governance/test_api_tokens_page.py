"""The API tokens page: make a token (its key shown once), use it, revoke it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from governance.models import ApiToken
from governance.tokens import api_token_create

pytestmark = pytest.mark.django_db
PAGE = "/governance/tokens/"


def test_a_user_makes_a_token_sees_the_key_once_and_can_use_it(viewer_client, viewer):
    response = viewer_client.post(PAGE, {"name": "dbt CI", "expires_days": "90"})
    html = response.content.decode()
    key = re.search(r'value="(lx_[^"]+)"', html).group(1)
    assert "it will not be shown again" in html and "no-store" in response["Cache-Control"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/metrics/").status_code == 200

    again = viewer_client.get(PAGE).content.decode()
    assert key not in again and key[:12] in again and "dbt CI" in again


def test_a_duplicate_name_is_refused_on_the_form(viewer_client, viewer):
    api_token_create(user=viewer, name="laptop", actor=viewer)
    response = viewer_client.post(PAGE, {"name": "laptop"})
    assert response.status_code == 422 and "already has a token named" in response.content.decode()
    assert ApiToken.objects.filter(user=viewer).count() == 1


def test_a_user_revokes_their_own_token_but_not_someone_elses(viewer_client, viewer, analyst):
    mine, key = api_token_create(user=viewer, name="laptop", actor=viewer)
    theirs, _ = api_token_create(user=analyst, name="laptop", actor=analyst)
    response = viewer_client.post(
        reverse("governance:api_token_revoke", args=[mine.pk]), follow=True
    )
    assert "is revoked" in response.content.decode()
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    assert (
        viewer_client.post(reverse("governance:api_token_revoke", args=[theirs.pk])).status_code
        == 404
    )
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_signing_in_is_required(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
