"""The post-ingest hook (registered in ``MetricsDictionaryConfig.ready``), inside the ingest
transaction.

1. dbt semantic-layer metrics of the project become (or update) dictionary metrics;
2. every published metric computed from the project is re-checked for drift;
3. deprecation signals are put back on search documents the ingest just rebuilt.
"""

from __future__ import annotations

from catalog.dbt.write import IngestOutcome
from catalog.search import search_signals_set
from metrics_dictionary.models import DeprecationNotice, Metric, MetricStatus


def dictionary_after_ingest(outcome: IngestOutcome) -> None:
    from metrics_dictionary.services.dbt_import import dbt_metrics_import
    from metrics_dictionary.services.drift import drift_check_project

    touched = outcome.added_ids | outcome.changed_ids | outcome.removed_ids
    dbt_metrics_import(project=outcome.project, run=outcome.run, warnings_out=outcome.warnings)
    if touched:
        drift_check_project(outcome.project.pk, touched)
    if touched:
        # The ingest rebuilt these documents from dbt's facts, which know nothing of our notices.
        for asset_id in DeprecationNotice.objects.filter(
            asset_id__in=touched, withdrawn_at__isnull=True
        ).values_list("asset_id", flat=True):
            search_signals_set(asset_id, deprecated=True)
        for asset_id in Metric.objects.filter(
            asset_id__in=touched, status__in=[MetricStatus.DEPRECATED, MetricStatus.RETIRED]
        ).values_list("asset_id", flat=True):
            search_signals_set(asset_id, deprecated=True)
