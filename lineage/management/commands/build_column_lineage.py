"""python manage.py build_column_lineage [--project NAME] [--force] [--processes N]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Project
from lineage.column_lineage import column_lineage_build


class Command(BaseCommand):
    help = (
        "Parse the compiled SQL of every changed model and store column lineage; prints the share "
        "of models with column lineage and every failure with its reason."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--project", action="append", default=[], help="project name (repeatable; default: all)"
        )
        parser.add_argument(
            "--force", action="store_true", help="parse every model, changed or not"
        )
        parser.add_argument(
            "--processes", type=int, default=None, help="parser processes (default: all cores)"
        )

    def handle(self, *args, project: list[str], force: bool, processes: int | None, **options):
        projects = Project.objects.filter(name__in=project) if project else Project.objects.all()
        if project and projects.count() != len(set(project)):
            missing = set(project) - set(projects.values_list("name", flat=True))
            raise CommandError(f"unknown project(s): {', '.join(sorted(missing))}")
        for proj in projects:
            s = column_lineage_build(project=proj, force=force, processes=processes)
            with_sql = s.models - s.no_sql
            ok = with_sql - s.failed
            share = 100.0 * ok / with_sql if with_sql else 0.0
            self.stdout.write(
                f"{proj.name}: {ok}/{with_sql} models with compiled SQL have column lineage "
                f"({share:.1f}%); parsed {s.parsed}, unchanged {s.unchanged}, failed {s.failed}, "
                f"without SQL {s.no_sql}; {s.edges} new edges in {s.seconds:.2f}s"
            )
            for failure in s.failures:
                self.stdout.write(f"  failed {failure['model']}: {failure['error']}")
