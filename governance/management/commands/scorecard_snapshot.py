from __future__ import annotations

from django.core.management.base import BaseCommand

from governance.tasks import scorecard_snapshot


class Command(BaseCommand):
    help = "Store today's governance scorecard (what the daily beat task does); safe to run again."

    def handle(self, *args, **options) -> None:
        result = scorecard_snapshot()
        for key, value in result["values"].items():
            shown = (
                "not available"
                if not value["available"]
                else (
                    "—"
                    if value["value"] is None
                    else f"{value['value']} % ({value['numerator']}/{value['denominator']})"
                )
            )
            self.stdout.write(f"{key}: {shown}")
        self.stdout.write(self.style.SUCCESS(f"Scorecard snapshot of {result['day']} stored."))
