"""The catalog's permission rules, registered with the one gate in ``lexicon_core.permissions``."""

from __future__ import annotations

from lexicon_core.permissions import rule
from lexicon_core.roles import can_ingest


@rule("catalog.view", "Reading the catalog, lineage and metric definitions")
def _catalog_view(user, obj) -> bool:
    return True  # any role; ``check`` already refused users without one


@rule("ingest.run", "Uploading dbt artifacts or query logs")
def _ingest_run(user, obj) -> bool:
    return can_ingest(user)
