"""python manage.py ingest_dbt PATH [PATH ...] [--project NAME]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.dbt.artifacts import ArtifactError
from catalog.models import IngestRun
from catalog.progress import terminal_progress
from catalog.services import ingest_run_create_from_paths, ingest_run_execute


class Command(BaseCommand):
    help = (
        "Ingest dbt artifacts: a target/ directory or individual manifest.json, catalog.json, "
        "run_results.json and sources.json files (gzip accepted). Runs in this process."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="+", type=Path, help="target/ directory or artifact files"
        )
        parser.add_argument(
            "--project", default="", help="Lexicon project name (default: the dbt project name)"
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw a progress bar."
        )

    def handle(self, *args, paths: list[Path], project: str, no_progress: bool, **options):
        try:
            run = ingest_run_create_from_paths(paths=paths, project_name=project)
        except ArtifactError as exc:
            raise CommandError(str(exc)) from None
        with terminal_progress("ingest", disabled=no_progress) as progress:
            run = ingest_run_execute(run_id=run.pk, progress=progress)
        if run.status != IngestRun.Status.SUCCEEDED:
            raise CommandError(f"Ingest run #{run.pk} failed: {run.error}")
        totals = run.totals()
        self.stdout.write(
            f"Ingest run #{run.pk} succeeded for project {run.project.name!r} "
            f"in {run.duration_seconds:.2f}s: "
            f"{totals['added']} added, {totals['changed']} changed, "
            f"{totals['unchanged']} unchanged, {totals['removed']} removed."
        )
        for kind, counts in sorted(run.counts.items()):
            self.stdout.write(
                f"  {kind:<16} +{counts.get('added', 0):<6} ~{counts.get('changed', 0):<6} "
                f"={counts.get('unchanged', 0):<6} -{counts.get('removed', 0)}"
            )
        for warning in run.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
