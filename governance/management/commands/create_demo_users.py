"""Create one demo user per role and print their credentials. Demo only."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from lexicon_core.roles import ADMIN, ANALYST, GOVERNANCE_REVIEWER, METRIC_OWNER, VIEWER

# username, role, first name, email. Emails match owners named in the example dbt project.
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("viewer", VIEWER, "Vera", "vera.viewer@saas.example"),
    ("analyst", ANALYST, "Bob", "bob@saas.example"),
    ("owner", METRIC_OWNER, "Alice", "alice@saas.example"),
    ("reviewer", GOVERNANCE_REVIEWER, "Grace", "grace.reviewer@saas.example"),
    ("admin", ADMIN, "Ada", "ada.admin@saas.example"),
)


class Command(BaseCommand):
    help = (
        "Create one demo user per role (viewer, analyst, owner, reviewer, admin) and print "
        "credentials."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Allow running with DEBUG off (never on a real instance).",
        )

    @transaction.atomic
    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Demo users have well-known passwords; run with DEBUG=true or pass --force."
            )
        User = get_user_model()
        rows = []
        for username, role, first_name, email in DEMO_USERS:
            password = f"{username}-demo-pass"
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first_name, "email": email}
            )
            user.set_password(password)
            user.is_staff = role == ADMIN
            user.is_superuser = False
            user.save(update_fields=["password", "is_staff", "is_superuser"])
            user.groups.set([Group.objects.get(name=role)])
            rows.append((username, password, role, "created" if created else "reset"))
        self.stdout.write("Demo users (demo only — do not use on a shared instance):")
        self.stdout.write(f"  {'username':<10} {'password':<22} {'role':<20}")
        for username, password, role, state in rows:
            self.stdout.write(f"  {username:<10} {password:<22} {role:<20} ({state})")
