"""python manage.py querylog_source NAME [--dialect D] [--format F] [--url URL]
[--default-database DB] [--default-schema S]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lineage.services import QueryLogError, querylog_source_upsert


class Command(BaseCommand):
    help = (
        "Create or change a query-log source. A live PostgreSQL source has --format "
        "pg_stat_statements and --url postgres://user@host/db; it is pulled on the schedule or "
        "with pull_querylog."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--dialect", default="")
        parser.add_argument("--format", default="")
        parser.add_argument("--url")
        parser.add_argument("--default-database")
        parser.add_argument("--default-schema")

    def handle(
        self, *args, name, dialect, format, url, default_database, default_schema, **options
    ):
        try:
            source = querylog_source_upsert(
                name=name,
                dialect=dialect,
                format=format,
                url=url,
                default_database=default_database,
                default_schema=default_schema,
            )
        except QueryLogError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Source {source.name!r}: dialect {source.dialect}, format "
            f"{source.format or 'detected'}{', live' if source.is_live else ''}."
        )
