"""Make an API token for a user and print the key, only the key, on stdout."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from governance.tokens import TokenError, api_token_create


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME and print its key (shown once; only a digest is stored). "
        "Send it as 'Authorization: Token <key>' or 'Authorization: Bearer <key>'."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="What the token is for, e.g. 'dbt CI'")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Expire after N days (default: never)"
        )

    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        days = options["expires_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-days must be at least 1.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            token, key = api_token_create(
                user=user, name=options["name"], expires_at=expires_at, actor=None
            )
        except TokenError as exc:
            raise CommandError(str(exc)) from None
        # stdout carries the key alone, so `KEY=$(manage.py token_create ...)` captures it.
        self.stdout.write(key)
        self.stderr.write(
            f"Token {token.prefix}… “{token.name}” for {user.get_username()}"
            f"{f', expires {expires_at:%Y-%m-%d}' if expires_at else ''}. Store the key now."
        )
