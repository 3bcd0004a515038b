"""python manage.py pull_querylog SOURCE: pull a live source (pg_stat_statements) now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from catalog.models import IngestRun
from lineage.management.commands.ingest_querylog import write_summary
from lineage.models import QueryLogSource
from lineage.services import QueryLogError, querylog_pull


class Command(BaseCommand):
    help = "Pull the calls made since the last pull from a live source's pg_stat_statements."

    def add_arguments(self, parser):
        parser.add_argument("source", help="Query-log source name")

    def handle(self, *args, source: str, **options):
        found = QueryLogSource.objects.filter(name=source).first()
        if found is None:
            raise CommandError(
                f"No query-log source named {source!r}; create it with querylog_source."
            )
        try:
            run = querylog_pull(source_id=found.pk, trigger=IngestRun.Trigger.CLI)
        except QueryLogError as exc:
            raise CommandError(str(exc)) from None
        if run.status != IngestRun.Status.SUCCEEDED:
            raise CommandError(f"Query-log run #{run.pk} failed: {run.error}")
        write_summary(self, run)
