"""Post-ingest hooks of lineage, registered in ``LineageConfig.ready`` (lexicon_core.extensions)."""

from __future__ import annotations

from catalog.dbt.write import IngestOutcome
from catalog.models import Asset
from lineage.models import AssetEdge, EdgeOrigin


def dbt_table_edges_sync(outcome: IngestOutcome) -> None:
    """Make the project's dbt edges equal to the ``depends_on`` of its assets.

    Only the difference is written, so an unchanged manifest writes nothing. Edges from a
    removed asset's last known ``depends_on`` stay (its tombstone flags them); edges to ids
    the catalog does not hold (disabled nodes, other projects) are skipped.
    """
    if not (outcome.added_ids or outcome.changed_ids or outcome.removed_ids):
        return
    project = outcome.project
    ids = dict(Asset.objects.filter(project=project).values_list("unique_id", "id"))
    wanted: set[tuple[int, int]] = set()
    for downstream_id, depends_on in Asset.objects.filter(project=project).values_list(
        "id", "depends_on"
    ):
        for uid in depends_on or []:
            upstream_id = ids.get(uid)
            if upstream_id is not None and upstream_id != downstream_id:
                wanted.add((upstream_id, downstream_id))
    existing = {
        (up, down): pk
        for pk, up, down in AssetEdge.objects.filter(
            project=project, origin=EdgeOrigin.DBT
        ).values_list("id", "upstream_id", "downstream_id")
    }
    stale = [pk for pair, pk in existing.items() if pair not in wanted]
    if stale:
        AssetEdge.objects.filter(pk__in=stale).delete()
    AssetEdge.objects.bulk_create(
        [
            AssetEdge(
                project=project,
                upstream_id=up,
                downstream_id=down,
                origin=EdgeOrigin.DBT,
                created_by_run=outcome.run,
            )
            for up, down in wanted - existing.keys()
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


def column_lineage_enqueue(outcome: IngestOutcome) -> None:
    """After the ingest commits, parse the changed models' SQL (a Celery task)."""
    from django.conf import settings
    from django.db import transaction

    from lineage.tasks import ingest_column_lineage

    if not settings.LEXICON_COLUMN_LINEAGE_AFTER_INGEST:
        return
    if not (outcome.added_ids or outcome.changed_ids or outcome.removed_ids):
        return
    run_id = outcome.run.pk
    transaction.on_commit(lambda: ingest_column_lineage.delay(run_id))
