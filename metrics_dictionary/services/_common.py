"""What every write of the metric dictionary shares: the permission check, the lock order,
the metric's status, emails after commit."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from lexicon_core.permissions import check
from lexicon_core.tiers import TIERS
from metrics_dictionary.errors import Conflict, DefinitionInvalid, Forbidden
from metrics_dictionary.models import (
    OUTGOING_STATUSES,
    Metric,
    MetricStatus,
    MetricVersion,
    VersionState,
)

logger = logging.getLogger(__package__)  # "metrics_dictionary.services"


def require(actor, action: str, obj: Any = None) -> None:
    decision = check(actor, action, obj)
    if not decision:
        raise Forbidden(decision.reason)


def lock_version(version: MetricVersion | int) -> tuple[Metric, MetricVersion]:
    """Lock the metric row, then the version row, and return both fresh from the database."""
    version_id = version if isinstance(version, int) else version.pk
    metric_id = (
        MetricVersion.objects.filter(pk=version_id).values_list("metric_id", flat=True).first()
    )
    if metric_id is None:
        raise Conflict("This metric version no longer exists.")
    metric = Metric.objects.select_for_update().get(pk=metric_id)
    locked = MetricVersion.objects.select_for_update().get(pk=version_id)
    locked.metric = metric
    return metric, locked


def tier_refused() -> DefinitionInvalid:
    """“Tier must be 1, 2 or 3.”"""
    choices = f"{', '.join(map(str, TIERS[:-1]))} or {TIERS[-1]}"
    return DefinitionInvalid(f"Tier must be {choices}.", errors={"tier": [f"must be {choices}"]})


def state_refused(version: MetricVersion, wanted: str) -> Conflict:
    return Conflict(
        f"{version} is {version.get_state_display().lower()}; it must be {wanted} for this."
    )


def metric_status_refresh(metric: Metric) -> None:
    """Draft / in review / approved follow the versions; deprecated and retired are kept."""
    if metric.status in OUTGOING_STATUSES:
        return
    if metric.current_version_id:
        status = MetricStatus.APPROVED
    elif metric.versions.filter(state=VersionState.IN_REVIEW).exists():
        status = MetricStatus.IN_REVIEW
    else:
        status = MetricStatus.DRAFT
    if status != metric.status:
        metric.status = status
        metric.save(update_fields=["status", "updated_at"])


def notify_after_commit(kind: str, object_id: int, **extra: Any) -> None:
    """Email after commit, on a worker. Without a broker (eager tasks) the mail is sent
    in-process and a mail server error is logged, never raised into the finished request."""
    from celery import current_app

    from metrics_dictionary.tasks import send_notification

    def send() -> None:
        if current_app.conf.task_always_eager:
            result = send_notification.apply(args=[kind, object_id, extra], throw=False)
            if result.failed():
                logger.error("notification %s for %s failed: %s", kind, object_id, result.result)
        else:
            send_notification.delay(kind, object_id, extra)

    transaction.on_commit(send)
