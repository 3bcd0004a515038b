"""Rebuild every search document (texts, ranking signals, facet values) and the typo
vocabulary from the catalog. Ingest keeps them current; run this after an upgrade whose
notes ask for it, or to repair the index."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from catalog.models import Asset
from catalog.search import search_documents_sync


class Command(BaseCommand):
    help = "Rebuild the search documents and vocabulary of every asset."

    def handle(self, *args, **options):
        started = time.perf_counter()
        written = search_documents_sync(Asset.objects.order_by("pk").values_list("pk", flat=True))
        self.stdout.write(
            f"rebuilt {written:,} search documents in {time.perf_counter() - started:.1f} s"
        )
