from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Asset, Project
from governance.pii.sync import pii_propagation_sync, pii_suggestions_sync


class Command(BaseCommand):
    help = (
        "Suggest PII classifications from dbt meta and name/type heuristics for every column, then "
        "propagate confirmed ones along column lineage (ingest does this for changed assets)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", help="Only this project (name).")

    def handle(self, *args, project: str | None = None, **options) -> None:
        projects = Project.objects.all()
        if project:
            projects = projects.filter(name=project)
            if not projects.exists():
                raise CommandError(f"No project named {project!r}.")
        for p in projects:
            ids = Asset.objects.filter(project=p, removed_at__isnull=True).values_list(
                "pk", flat=True
            )
            suggested = pii_suggestions_sync(asset_ids=list(ids))
            propagated = pii_propagation_sync(project_ids=[p.pk])
            self.stdout.write(
                f"{p.name}: suggestions {suggested.as_dict()}, lineage {propagated.as_dict()}"
            )
