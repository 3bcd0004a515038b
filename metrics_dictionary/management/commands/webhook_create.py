"""Create an outgoing webhook and print its signing secret once."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from metrics_dictionary.errors import WorkflowError
from metrics_dictionary.models import SUBSCRIBABLE_EVENTS
from metrics_dictionary.services.webhooks import webhook_create


class Command(BaseCommand):
    help = (
        "Create a webhook for metric events; prints the HMAC secret once (store it in the "
        "receiver)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("url")
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--event",
            action="append",
            choices=SUBSCRIBABLE_EVENTS,
            default=[],
            help="Repeat for several events; default: all",
        )
        parser.add_argument(
            "--secret-env",
            default="",
            help="Read the secret from this environment variable instead of deriving one",
        )
        parser.add_argument(
            "--as", dest="username", required=True, help="The admin creating it (audited)"
        )

    def handle(self, *args, **options) -> None:
        actor = get_user_model().objects.filter(username=options["username"]).first()
        if actor is None:
            raise CommandError(f"No user {options['username']!r}.")
        try:
            hook, secret = webhook_create(
                name=options["name"],
                url=options["url"],
                events=options["event"],
                secret_env=options["secret_env"],
                actor=actor,
            )
        except WorkflowError as exc:
            raise CommandError(f"{exc.message} {exc.errors or ''}".strip()) from None
        self.stdout.write(
            f"Webhook #{hook.pk} “{hook.name}” → {hook.url} "
            f"({', '.join(hook.events) or 'all events'})"
        )
        if secret:
            self.stdout.write(f"Signing secret (shown once): {secret}")
        else:
            self.stdout.write(f"Signing secret: read from ${hook.secret_env}")
