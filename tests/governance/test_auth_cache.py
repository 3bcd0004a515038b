"""The user of a session comes from the cache, and every change to them or their roles is
seen on the very next request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lexicon_core.roles import GOVERNANCE_REVIEWER

pytestmark = pytest.mark.django_db

PII_QUEUE = reverse("governance:review_queue")  # reviewers only


def _auth_queries(captured) -> list[str]:
    return [q["sql"] for q in captured if '"auth_user"' in q["sql"] or '"auth_group"' in q["sql"]]


def test_a_signed_in_request_reads_neither_the_user_nor_their_groups_from_the_database(
    viewer_client,
):
    viewer_client.get(reverse("home"))  # the first request caches the user
    with CaptureQueriesContext(connection) as captured:
        response = viewer_client.get(reverse("home"))
    assert response.status_code == 200
    assert _auth_queries(captured.captured_queries) == []


def test_a_role_granted_counts_on_the_next_request(viewer_client, viewer):
    assert viewer_client.get(PII_QUEUE).status_code == 403
    viewer.groups.add(Group.objects.get_or_create(name=GOVERNANCE_REVIEWER)[0])
    assert viewer_client.get(PII_QUEUE).status_code == 200


def test_a_role_taken_away_from_the_group_side_counts_on_the_next_request(client, reviewer):
    client.force_login(reviewer)
    assert client.get(PII_QUEUE).status_code == 200
    Group.objects.get(name=GOVERNANCE_REVIEWER).user_set.remove(reviewer)
    assert client.get(PII_QUEUE).status_code == 403


def test_a_deleted_group_takes_its_role_away_at_once(client, reviewer):
    client.force_login(reviewer)
    assert client.get(PII_QUEUE).status_code == 200
    Group.objects.get(name=GOVERNANCE_REVIEWER).delete()
    assert client.get(PII_QUEUE).status_code == 403


def test_a_deactivated_account_is_signed_out_on_the_next_request(viewer_client, viewer):
    assert viewer_client.get(reverse("home")).status_code == 200
    viewer.is_active = False
    viewer.save(update_fields=["is_active"])
    response = viewer_client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_password_changed_elsewhere_ends_the_session(viewer_client, viewer):
    assert viewer_client.get(reverse("home")).status_code == 200
    viewer.set_password("a-completely-new-passphrase")
    viewer.save()
    response = viewer_client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
