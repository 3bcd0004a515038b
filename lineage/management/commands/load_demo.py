"""python manage.py load_demo [--target DIR] [--querylog FILE] [--no-querylog]

Load the example project into the catalog: its dbt artifacts and the demo query log, with their
timestamps moved to the present (``catalog.demo``, ``lineage.demo``) so that freshness, last runs
and usage look like those of a live project. Safe to run again: nothing is counted twice. A
second run within the hour adds no dbt run, a later one records one more; of the query log, only
the statements after those already counted are added. Lives in ``lineage`` because it loads both
halves (catalog <- lineage).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from catalog.demo import shift_dbt_target
from lineage.demo import shift_query_history
from lineage.models import QueryLogSource

EXAMPLES = Path(settings.BASE_DIR) / "examples"
EXAMPLE_TARGET = EXAMPLES / "saas_analytics" / "target"
DEMO_QUERYLOG = EXAMPLES / "demo_querylog" / "snowflake_query_history.csv"
DEMO_SOURCE = "demo-snowflake"


def _when(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _span(offset) -> str:
    days, hours = offset.days, offset.seconds // 3600
    return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")


class Command(BaseCommand):
    help = (
        "Load the example project (examples/saas_analytics/target) and the demo query log "
        "(examples/demo_querylog), timestamps moved to the present. Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--target", type=Path, default=EXAMPLE_TARGET, help="dbt target/ folder to load"
        )
        parser.add_argument(
            "--querylog",
            type=Path,
            default=DEMO_QUERYLOG,
            help="Snowflake QUERY_HISTORY CSV export to load",
        )
        parser.add_argument(
            "--no-querylog", action="store_true", help="Load the dbt artifacts only."
        )
        parser.add_argument("--source", default=DEMO_SOURCE, help="Query-log source name")
        parser.add_argument(
            "--now",
            type=_when,
            default=None,
            help="Move timestamps as if it were this time (ISO 8601; default: now).",
        )

    def handle(
        self,
        *args,
        target: Path,
        querylog: Path,
        no_querylog: bool,
        source: str,
        now: datetime | None,
        **options,
    ) -> None:
        now = now or timezone.now()
        if not (target / "manifest.json").exists():
            raise CommandError(
                f"{target}/manifest.json is missing; run bash examples/regenerate.sh"
            )
        if not no_querylog and not querylog.exists():
            raise CommandError(f"{querylog} is missing; run python examples/make_demo_querylog.py")
        with tempfile.TemporaryDirectory(prefix="lexicon-demo-") as tmp:
            shifted = shift_dbt_target(target, Path(tmp) / "target", now=now)
            if shifted.newest_shifted:
                self.stdout.write(
                    f"Demo dbt artifacts moved forward by {_span(shifted.offset)}: newest "
                    f"timestamp {shifted.newest_shifted:%Y-%m-%d %H:%M} UTC."
                )
            call_command(
                "ingest_dbt",
                str(shifted.path),
                "--no-progress",
                stdout=self.stdout,
                stderr=self.stderr,
            )
            if no_querylog:
                return
            existing = QueryLogSource.objects.filter(name=source).first()
            log = shift_query_history(
                querylog,
                Path(tmp) / querylog.name,
                now=now,
                after=existing.watermark if existing else None,
            )
            if not log.rows:
                upto = (
                    f" (up to {existing.watermark:%Y-%m-%d %H:%M} UTC)"
                    if existing and existing.watermark
                    else ""
                )
                self.stdout.write(
                    f"Demo query log: nothing after what source {source!r} already counted{upto}."
                )
                return
            self.stdout.write(
                f"Demo query log moved forward by {_span(log.offset)}: {log.rows:,} "
                f"statement{'s' if log.rows != 1 else ''} up to "
                f"{log.newest_written:%Y-%m-%d %H:%M} UTC"
                + (
                    f" ({log.counted_before:,} counted by an earlier load left out)."
                    if log.counted_before
                    else "."
                )
            )
            call_command(
                "ingest_querylog",
                str(log.path),
                "--source",
                source,
                "--format",
                "snowflake",
                "--no-progress",
                stdout=self.stdout,
                stderr=self.stderr,
            )
