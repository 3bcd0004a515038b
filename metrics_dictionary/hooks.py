"""What the metric dictionary plugs into catalog (registered in ``MetricsDictionaryConfig.ready``).

The post-ingest hook, inside the ingest transaction:
1. dbt semantic-layer metrics of the project become (or update) dictionary metrics;
2. every published metric computed from the project is re-checked for drift.

The search signals: deprecation notices and metric tiers, laid over every search document
catalog rebuilds from dbt's facts (which know nothing of our notices).
"""

from __future__ import annotations

from catalog.dbt.write import IngestOutcome
from metrics_dictionary.models import OUTGOING_STATUSES, DeprecationNotice, Metric


def dictionary_after_ingest(outcome: IngestOutcome) -> None:
    from metrics_dictionary.services.dbt_import import dbt_metrics_import
    from metrics_dictionary.services.drift import drift_check_project

    touched = outcome.added_ids | outcome.changed_ids | outcome.removed_ids
    dbt_metrics_import(project=outcome.project, run=outcome.run, warnings_out=outcome.warnings)
    if touched:
        drift_check_project(outcome.project.pk, touched)


def dictionary_search_signals(asset_ids: list[int]) -> dict[int, dict]:
    """Metric assets carry their metric's tier and deprecation; other assets their notices."""
    out: dict[int, dict] = {}
    for asset_id, tier, status in Metric.objects.filter(asset_id__in=asset_ids).values_list(
        "asset_id", "tier", "status"
    ):
        out[asset_id] = {
            "tier": tier,
            "deprecated": status in OUTGOING_STATUSES,
        }
    for asset_id in DeprecationNotice.objects.filter(
        asset_id__in=asset_ids, withdrawn_at__isnull=True
    ).values_list("asset_id", flat=True):
        out.setdefault(asset_id, {})["deprecated"] = True
    return out
