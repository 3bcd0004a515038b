from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from lexicon_core.permissions import role_matrix_markdown


class Command(BaseCommand):
    help = (
        "Print the role × action permission matrix (Markdown), or write it to a file with --write."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--write", metavar="PATH", help="Write the matrix to PATH (e.g. docs/permissions.md)."
        )

    def handle(self, *args, write: str | None = None, **options) -> None:
        text = role_matrix_markdown()
        if write:
            Path(write).write_text(text)
            self.stdout.write(f"Wrote {write}.")
        else:
            self.stdout.write(text, ending="")
