"""Revoke API tokens by their public prefix (as lists and the audit log show it)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from governance.models import ApiToken
from governance.tokens import api_token_revoke


class Command(BaseCommand):
    help = (
        "Revoke the API token whose key starts with PREFIX (its first 12 characters); requests "
        "with it get 401."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("prefix")

    def handle(self, *args, **options) -> None:
        token = (
            ApiToken.objects.filter(prefix=options["prefix"][:12]).select_related("user").first()
        )
        if token is None:
            raise CommandError(f"No token with prefix {options['prefix']!r}.")
        api_token_revoke(token=token, actor=None)
        self.stdout.write(f"Revoked {token} of {token.user.get_username()}.")
