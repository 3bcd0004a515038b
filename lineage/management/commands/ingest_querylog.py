"""python manage.py ingest_querylog FILE --source NAME [--format F] [--access-history F]
[--query-text F]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.models import IngestRun
from catalog.progress import terminal_progress
from lineage.services import QueryLogError, querylog_run_create_from_path, querylog_run_execute


class Command(BaseCommand):
    help = (
        "Ingest a warehouse query-log export (Snowflake QUERY_HISTORY, BigQuery JOBS, Redshift "
        "SYS_QUERY_HISTORY, PostgreSQL csvlog) into usage, popularity and lineage. Runs in this "
        "process; re-ingesting the same file counts nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--source", required=True, help="Query-log source name (created on first use)"
        )
        parser.add_argument(
            "--format", default="", help="Reader name; detected from the file when left out"
        )
        parser.add_argument(
            "--access-history", type=Path, help="Snowflake ACCESS_HISTORY export to join"
        )
        parser.add_argument(
            "--query-text", type=Path, help="Redshift SYS_QUERY_TEXT export (long statements)"
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw a progress bar."
        )

    def handle(
        self,
        *args,
        file: Path,
        source: str,
        format: str,
        access_history: Path | None,
        query_text: Path | None,
        no_progress: bool,
        **options,
    ):
        extras = {
            k: v for k, v in (("access_history", access_history), ("query_text", query_text)) if v
        }
        try:
            run = querylog_run_create_from_path(
                path=file, source_name=source, fmt=format, extras=extras
            )
        except QueryLogError as exc:
            raise CommandError(str(exc)) from None
        with terminal_progress("query log", disabled=no_progress) as progress:
            run = querylog_run_execute(run_id=run.pk, progress=progress)
        if run.status != IngestRun.Status.SUCCEEDED:
            raise CommandError(f"Query-log run #{run.pk} failed: {run.error}")
        write_summary(self, run)
        if options.get("verbosity", 1) >= 2:
            timings = (run.followups or {}).get("timings", {})
            self.stdout.write("  seconds: " + ", ".join(f"{k} {v}" for k, v in timings.items()))


def write_summary(command: BaseCommand, run: IngestRun) -> None:
    q = run.query_log
    command.stdout.write(
        f"Query-log run #{run.pk} succeeded for source {q.source.name!r} ({q.format}) in "
        f"{run.duration_seconds:.2f}s: {q.rows:,} rows, {q.records:,} new statements "
        f"({q.executions:,} executions), {q.duplicates:,} already counted, {q.fingerprints:,} "
        f"shapes ({q.fingerprints_new:,} new), {q.assets_touched:,} assets, {q.assets_created:,} "
        f"warehouse-only assets added, {q.edges_added:,} lineage edges added."
    )
    if q.malformed:
        command.stdout.write(command.style.WARNING(f"{q.malformed:,} malformed rows skipped:"))
        for row in q.malformed_rows[:10]:
            command.stdout.write(f"  line {row['line']}: {row['message']}")
    if q.unparsable:
        command.stdout.write(
            command.style.WARNING(f"{q.unparsable:,} statements could not be parsed:")
        )
        for reason, entry in list(q.unparsable_reasons.items())[:10]:
            command.stdout.write(f"  {entry['count']:,} × {reason}")
    for warning in run.warnings:
        if "dedup window" in warning:
            command.stdout.write(command.style.WARNING(f"warning: {warning}"))
