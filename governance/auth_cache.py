"""The signed-in user of every request, from the cache.

Each page and each htmx fragment it loads would otherwise read the user's row and their
role groups from the database before doing any work of its own: two queries per request,
a large share of a small fragment's cost. :class:`CachedModelBackend` keeps the user,
with their roles already resolved (``lexicon_core.roles.user_roles``), in the cache
(Redis in production) and drops the entry whenever anything it holds changes: the user
row (password, active flag, superuser, last sign-in), their group memberships from either
side, or a group itself. An entry also expires after ``TTL_SECONDS``, so a change made
behind Django's back (a raw SQL update) is seen within minutes.

A cache that is down costs speed, never correctness: the backend then reads the database.
"""

from __future__ import annotations

import logging

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from lexicon_core.roles import user_roles

logger = logging.getLogger(__name__)

TTL_SECONDS = 300
_PREFIX = "lexicon:auth-user"


def _key(user_id) -> str:
    return f"{_PREFIX}:{user_id}"


def forget_users(user_ids) -> None:
    """Drop cached users (after a change to them, their groups or a group of theirs)."""
    keys = [_key(pk) for pk in user_ids if pk is not None]
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:  # the cache being down must not fail the write that called us
        logger.warning("auth cache: could not drop %s cached users", len(keys), exc_info=True)


class CachedModelBackend(ModelBackend):
    """Django's ModelBackend (same sign-in rules, inactive users refused), with the user of
    a session looked up in the cache first."""

    def get_user(self, user_id):
        key = _key(user_id)
        try:
            user = cache.get(key)
        except Exception:
            logger.warning("auth cache: read failed, using the database", exc_info=True)
            return super().get_user(user_id)
        if user is not None:
            return user
        user = super().get_user(user_id)
        if user is not None:
            user_roles(user)  # resolved once and kept with the user
            try:
                cache.set(key, user, TTL_SECONDS)
            except Exception:
                logger.warning("auth cache: write failed", exc_info=True)
        return user


# --- receivers (connected in governance.apps) --------------------------------------------
def user_changed(sender, instance, **kwargs) -> None:
    forget_users([instance.pk])


def memberships_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not action.startswith("post_") and action != "pre_clear":
        return
    if reverse:  # group.user_set.add(...): the users are in pk_set (or all of them on clear)
        forget_users(pk_set if pk_set else instance.user_set.values_list("pk", flat=True))
    else:
        forget_users([instance.pk])


def group_changed(sender, instance, **kwargs) -> None:
    """A renamed or deleted group changes its members' roles (pre_delete: still members)."""
    if instance.pk is not None:
        forget_users(instance.user_set.values_list("pk", flat=True))
