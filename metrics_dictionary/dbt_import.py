"""dbt semantic-layer metrics -> dictionary metrics (filled in below)."""

from __future__ import annotations


def dbt_metrics_import(*, project, run=None) -> int:
    return 0
