"""Load the example SaaS project into the catalog (idempotent: a second run changes nothing)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

EXAMPLE_TARGET = Path(settings.BASE_DIR) / "examples" / "saas_analytics" / "target"


class Command(BaseCommand):
    help = "Ingest the example dbt project's artifacts (examples/saas_analytics/target)."

    def handle(self, *args, **options):
        if not (EXAMPLE_TARGET / "manifest.json").exists():
            raise CommandError(f"{EXAMPLE_TARGET}/manifest.json is missing; run bash examples/regenerate.sh")
        call_command("ingest_dbt", str(EXAMPLE_TARGET), "--no-progress", stdout=self.stdout, stderr=self.stderr)
