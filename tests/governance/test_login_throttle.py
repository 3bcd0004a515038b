"""Sign-in throttling: repeated wrong passwords lock the account for a while, then it works
again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.urls import reverse

from governance.models import AuditEvent, LoginFailure
from tests.conftest import PASSWORD

LOCKED = "Too many failed sign-ins for this account. Try again in 15 minutes."


def _sign_in(client, username: str, password: str, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _time_passes(minutes: float) -> None:
    """Age every recorded failure, as if the clock had moved on."""
    LoginFailure.objects.update(at=F("at") - timedelta(minutes=minutes))


def test_it_refuses_the_right_password_after_five_wrong_ones_and_says_for_how_long(client, viewer):
    for attempt in range(4):
        page = _sign_in(client, "vera", f"wrong-{attempt}").content.decode()
        assert "did not match" in page and "Too many" not in page
    fifth = _sign_in(client, "vera", "wrong-5").content.decode()
    assert LOCKED in fifth  # the attempt that starts the lock-out says so at once

    right = _sign_in(client, "vera", PASSWORD)
    assert right.status_code == 200 and LOCKED in right.content.decode()
    assert not _signed_in(client)
    assert (
        AuditEvent.objects.filter(action="user.login_locked", object_id=str(viewer.pk)).count() == 1
    )


def test_it_lets_the_account_in_again_once_the_window_has_passed(client, viewer):
    for attempt in range(5):
        _sign_in(client, "vera", f"wrong-{attempt}")
    _time_passes(10)
    assert "Try again in 5 minutes." in _sign_in(client, "vera", PASSWORD).content.decode()
    _time_passes(5)
    response = _sign_in(client, "vera", PASSWORD)
    assert response.status_code == 302 and _signed_in(client)


def test_another_account_from_the_same_address_is_unaffected(client, viewer, analyst):
    for attempt in range(6):
        _sign_in(client, "vera", f"wrong-{attempt}")
    response = _sign_in(client, "andy", PASSWORD)
    assert response.status_code == 302 and _signed_in(client)


def test_a_successful_sign_in_clears_the_count(client, viewer):
    for attempt in range(4):
        _sign_in(client, "vera", f"wrong-{attempt}")
    assert _sign_in(client, "vera", PASSWORD).status_code == 302
    client.logout()
    for attempt in range(4):
        _sign_in(client, "vera", f"again-{attempt}")
    assert _sign_in(client, "vera", PASSWORD).status_code == 302


def test_the_limits_come_from_settings(client, viewer, settings):
    settings.LEXICON_LOGIN_MAX_FAILURES = 2
    settings.LEXICON_LOGIN_LOCKOUT_MINUTES = 60
    _sign_in(client, "vera", "wrong-1")
    assert "Try again in 60 minutes." in _sign_in(client, "vera", "wrong-2").content.decode()


def test_an_address_spraying_many_usernames_is_locked_out(client, viewer, settings):
    settings.LEXICON_LOGIN_MAX_FAILURES_PER_IP = 3
    for name in ("alice", "bob", "carol"):
        _sign_in(client, name, "password1")
    page = _sign_in(client, "vera", PASSWORD).content.decode()
    assert "Too many failed sign-ins for this network address." in page and not _signed_in(client)
    # Another address is not held back by it.
    assert _sign_in(client, "vera", PASSWORD, REMOTE_ADDR="10.0.0.8").status_code == 302


@pytest.mark.parametrize("behind_proxy, expected", [(True, "203.0.113.9"), (False, "127.0.0.1")])
def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended(
    client, viewer, settings, behind_proxy, expected
):
    settings.BEHIND_TLS_PROXY = behind_proxy
    _sign_in(client, "vera", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9")
    assert LoginFailure.objects.get().ip == expected


def test_the_admin_sign_in_page_is_throttled_too(client, admin_user):
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    for attempt in range(5):
        client.post("/admin/login/", {"username": "ada", "password": f"wrong-{attempt}"})
    response = client.post("/admin/login/", {"username": "ada", "password": PASSWORD})
    assert LOCKED in response.content.decode() and not _signed_in(client)


def test_old_failures_are_deleted_as_new_ones_come_in(client, viewer):
    _sign_in(client, "vera", "wrong-1")
    _time_passes(16)
    _sign_in(client, "vera", "wrong-2")
    assert LoginFailure.objects.count() == 1
