"""Explain the lineage of SQL statements:

    python manage.py explain_lineage --dialect D [--schema FILE] [--default-db X] \
        [--default-schema Y] < query.sql
    python manage.py explain_lineage --jsonl requests.jsonl

The second form reads one JSON request per line and writes one result per line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lineage.explain import ExplainInputError, explain


class Command(BaseCommand):
    help = "Print the lineage of SQL read from standard input (or a JSONL batch) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--dialect", default="ansi", help="sqlglot dialect name, or ansi")
        parser.add_argument(
            "--schema", type=Path, help='JSON file: {"db.schema.table": {"column": "type"}}'
        )
        parser.add_argument("--default-db", default="")
        parser.add_argument("--default-schema", default="")
        parser.add_argument(
            "--jsonl",
            help="batch file of requests (id, dialect, sql, schema, default_db, "
            "default_schema), or - for standard input",
        )

    def handle(self, *args, dialect, schema, default_db, default_schema, jsonl, **options):
        if jsonl:
            self._batch(jsonl)
            return
        schema_value = None
        if schema:
            try:
                schema_value = json.loads(schema.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise CommandError(f"{schema}: cannot read the schema JSON: {exc}") from None
        try:
            result = explain(
                {
                    "sql": sys.stdin.read(),
                    "dialect": dialect,
                    "schema": schema_value,
                    "default_db": default_db,
                    "default_schema": default_schema,
                },
                where="stdin",
            )
        except ExplainInputError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(result, indent=2))

    def _batch(self, source: str) -> None:
        if source == "-":
            self._lines(sys.stdin, "stdin")
            return
        try:
            with Path(source).open(encoding="utf-8") as stream:
                self._lines(stream, source)
        except OSError as exc:
            raise CommandError(f"{source}: cannot be read: {exc.strerror or exc}") from None

    def _lines(self, stream, source: str) -> None:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            where = f"{source}:{number}"
            request = None
            try:
                request = json.loads(line)
                if not isinstance(request, dict):
                    raise ExplainInputError(f"{where}: each line must be a JSON object")
                result = explain(request, where=where)
            except json.JSONDecodeError as exc:
                result = {
                    "id": None,
                    "error": f"{where}: not JSON ({exc.msg} at column {exc.colno})",
                }
            except ExplainInputError as exc:
                result = {
                    "id": request.get("id") if isinstance(request, dict) else None,
                    "error": str(exc),
                }
            self.stdout.write(json.dumps(result))
