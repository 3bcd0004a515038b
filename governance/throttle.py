"""Sign-in throttling: too many failed passwords lock the account name (and the address) for
a while.

Rules (settings): after ``LEXICON_LOGIN_MAX_FAILURES`` failed sign-ins for one username
within ``LEXICON_LOGIN_LOCKOUT_MINUTES``, that username is refused, even with the right
password, until the oldest of those failures is that many minutes old. An address that
fails ``LEXICON_LOGIN_MAX_FAILURES_PER_IP`` times in the window (any usernames: password
spraying) is refused the same way; that limit is higher because an office shares one
address. A successful sign-in clears the username's failures (not the address's, or one
valid account would reset an attacker's count). Refused attempts are not counted, so a
lock-out does not grow while someone keeps trying.

Failures live in the database (``LoginFailure``), so every web process counts the same
ones in both modes; rows older than the window are deleted as new failures come in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from governance.models import LoginFailure
from governance.services import audit_record


@dataclass(frozen=True)
class Lockout:
    """Why sign-in is refused now, and for how long."""

    scope: str  # "account" or "address"
    seconds_left: float

    @property
    def minutes_left(self) -> int:
        return max(1, math.ceil(self.seconds_left / 60))

    @property
    def message(self) -> str:
        minutes = self.minutes_left
        what = "this account" if self.scope == "account" else "this network address"
        return (
            f"Too many failed sign-ins for {what}. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )


def _window() -> timedelta:
    return timedelta(minutes=settings.LEXICON_LOGIN_LOCKOUT_MINUTES)


def _normal(username: str) -> str:
    return (username or "").strip().lower()[:150]


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy (``BEHIND_TLS_PROXY``)
    the last X-Forwarded-For entry, which that proxy appended (earlier ones can be forged)."""
    if request is None:
        return None
    if settings.BEHIND_TLS_PROXY and (forwarded := request.META.get("HTTP_X_FORWARDED_FOR", "")):
        return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def _lock_for(failures, limit: int, now) -> float | None:
    """Seconds until fewer than ``limit`` of these failures fall in the window, or None."""
    recent = list(
        failures.filter(at__gt=now - _window()).order_by("-at").values_list("at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    return (recent[-1] + _window() - now).total_seconds()


def login_lockout(*, username: str, ip: str | None) -> Lockout | None:
    """The lock-out that applies to this username or address now, if any."""
    now = timezone.now()
    seconds = _lock_for(
        LoginFailure.objects.filter(username=_normal(username)),
        settings.LEXICON_LOGIN_MAX_FAILURES,
        now,
    )
    if seconds is not None:
        return Lockout("account", seconds)
    if ip:
        seconds = _lock_for(
            LoginFailure.objects.filter(ip=ip), settings.LEXICON_LOGIN_MAX_FAILURES_PER_IP, now
        )
        if seconds is not None:
            return Lockout("address", seconds)
    return None


def login_failure_record(*, username: str, ip: str | None) -> Lockout | None:
    """Count one failed sign-in; returns the lock-out it starts, if it starts one (audited
    against the account when that username exists)."""
    now = timezone.now()
    LoginFailure.objects.filter(at__lte=now - _window()).delete()
    LoginFailure.objects.create(username=_normal(username), ip=ip, at=now)
    lockout = login_lockout(username=username, ip=ip)
    if lockout is not None:
        user_model = get_user_model()
        user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is not None:
            audit_record(
                actor=None,
                action="user.login_locked",
                obj=user,
                after={"scope": lockout.scope, "ip": ip, "minutes": lockout.minutes_left},
            )
    return lockout


def login_success_record(*, username: str) -> None:
    LoginFailure.objects.filter(username=_normal(username)).delete()
