"""The review: submit, approve (publishing when the tier's rule is met), request changes,
reject. Approving publishes atomically: the previous approved version becomes superseded."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.services import audit_record
from metrics_dictionary.errors import Conflict, StaleVersion
from metrics_dictionary.models import (
    ChangeLogEntry,
    Comment,
    Metric,
    MetricStatus,
    MetricVersion,
    Review,
    VersionState,
    WebhookEvent,
)
from metrics_dictionary.rules import approval_rule, is_governance_reviewer
from metrics_dictionary.services._common import (
    lock_version,
    metric_status_refresh,
    notify_after_commit,
    require,
    state_refused,
)
from metrics_dictionary.services.metrics import metric_search_sync
from metrics_dictionary.services.webhook_delivery import deliveries_create, metric_payload


@transaction.atomic
def metric_version_submit(*, version: MetricVersion, actor, comment: str = "") -> MetricVersion:
    """Put a draft (or a version with changes requested) in review and notify the reviewers."""
    metric, version = lock_version(version)
    require(actor, "metric.submit", version)
    if not version.is_editable:
        raise state_refused(version, "a draft or have changes requested")
    if metric.status == MetricStatus.RETIRED:
        raise Conflict(f"“{metric.name}” is retired; it no longer takes changes.")
    before = {"state": version.state}
    version.state = VersionState.IN_REVIEW
    version.submitted_at = timezone.now()
    version.review_round += 1
    version.base_version_id = metric.current_version_id
    version.save(
        update_fields=["state", "submitted_at", "review_round", "base_version", "updated_at"]
    )
    if comment.strip():
        Comment.objects.create(metric=metric, version=version, author=actor, body=comment.strip())
    metric_status_refresh(metric)
    audit_record(
        actor=actor,
        action="metric_version.submit",
        obj=version,
        before=before,
        after={
            "state": version.state,
            "round": version.review_round,
            "base_version": version.base_version_id,
            "comment": comment.strip(),
        },
    )
    notify_after_commit("review_requested", version.pk)
    return version


def _decide(
    version: MetricVersion, actor, decision: str, comment: str
) -> tuple[Metric, MetricVersion, Review]:
    """Shared part of approve / request changes / reject: lock, check, record the review."""
    metric, version = lock_version(version)
    require(actor, "metric.review", version)
    if version.state != VersionState.IN_REVIEW:
        raise Conflict(
            f"{version} is {version.get_state_display().lower()}, not in review; "
            "someone may have decided it already."
        )
    if metric.status == MetricStatus.RETIRED:
        raise Conflict(f"“{metric.name}” is retired; it no longer takes changes.")
    if Review.objects.filter(version=version, round=version.review_round, reviewer=actor).exists():
        raise Conflict(f"You already reviewed this submission of {version}.")
    try:
        with transaction.atomic():
            review = Review.objects.create(
                version=version,
                round=version.review_round,
                reviewer=actor,
                decision=decision,
                comment=comment.strip(),
                as_governance=is_governance_reviewer(actor),
            )
    except IntegrityError:
        raise Conflict(f"You already reviewed this submission of {version}.") from None
    return metric, version, review


@transaction.atomic
def metric_version_approve(*, version: MetricVersion, actor, comment: str = "") -> MetricVersion:
    """Approve; publish when the tier's rule is met (``rules.approval_rule``).

    Refused: the proposer (403), anyone who may not review the metric (403), a version
    not in review (409), and a stale version — one submitted before another version was
    published (409, ``StaleVersion``)."""
    metric, version = lock_version(version)
    if (
        version.state == VersionState.IN_REVIEW
        and metric.current_version_id != version.base_version_id
    ):
        require(actor, "metric.review", version)
        current = metric.current_version
        base = version.base_version
        raise StaleVersion(
            f"{version} was submitted when v{base.number if base else '—'} was "
            f"current, but v{current.number if current else '—'} has been published since. "
            "Propose a new version based on the current one."
        )
    metric, version, review = _decide(version, actor, Review.Decision.APPROVE, comment)
    rule = approval_rule(metric.tier)
    approvals = list(
        version.reviews.filter(round=version.review_round, decision=Review.Decision.APPROVE)
    )
    governance = sum(1 for r in approvals if r.as_governance)
    published = len(approvals) >= rule.approvals and governance >= rule.governance
    audit_record(
        actor=actor,
        action="metric_version.approve",
        obj=version,
        before={"state": version.state},
        after={
            "approvals": len(approvals),
            "governance_approvals": governance,
            "rule": rule.describe(),
            "published": published,
            "comment": review.comment,
        },
    )
    if not published:
        notify_after_commit("approval_recorded", version.pk, review_id=review.pk)
        return version
    publish(metric, version, actor)
    return version


def publish(metric: Metric, version: MetricVersion, actor) -> None:
    """Inside the caller's transaction, with metric and version locked."""
    from metrics_dictionary.selectors import column_snapshot

    now = timezone.now()
    previous = metric.current_version
    if previous is not None:
        MetricVersion.objects.filter(pk=previous.pk).update(
            state=VersionState.SUPERSEDED, superseded_at=now
        )
    version.column_snapshot = column_snapshot(version)
    version.state = VersionState.APPROVED
    version.decided_at = version.published_at = now
    version.save(
        update_fields=["column_snapshot", "state", "decided_at", "published_at", "updated_at"]
    )
    metric.current_version = version
    metric.save(update_fields=["current_version", "updated_at"])
    metric_status_refresh(metric)
    audit_record(
        actor=actor,
        action="metric_version.publish",
        obj=version,
        before={"current_version": previous.number if previous else None},
        after={"current_version": version.number, "state": version.state},
    )
    ChangeLogEntry.objects.create(
        kind=ChangeLogEntry.Kind.APPROVED,
        metric=metric,
        version=version,
        actor=actor,
        domain=metric.domain,
        tier=metric.tier,
        title=f"{metric.name} v{version.number} approved",
        summary=version.change_summary
        or ("First approved definition." if previous is None else ""),
    )
    metric_search_sync(metric)
    # The new definition may fix (or cause) drift: re-check it against the catalog now.
    from metrics_dictionary.services.drift import metric_drift_check

    metric_drift_check(metric, notify=False)
    notify_after_commit("published", version.pk)
    deliveries_create(event=WebhookEvent.APPROVED, payload=metric_payload(metric, version))


def _close_without_publishing(
    version: MetricVersion, actor, decision: str, state: str, action: str, comment: str
) -> MetricVersion:
    metric, version, review = _decide(version, actor, decision, comment)
    version.state = state
    version.decided_at = timezone.now()
    version.save(update_fields=["state", "decided_at", "updated_at"])
    metric_status_refresh(metric)
    audit_record(
        actor=actor,
        action=action,
        obj=version,
        before={"state": VersionState.IN_REVIEW},
        after={"state": version.state, "comment": review.comment},
    )
    notify_after_commit("decided", version.pk, review_id=review.pk)
    return version


@transaction.atomic
def metric_version_request_changes(
    *, version: MetricVersion, actor, comment: str = ""
) -> MetricVersion:
    """Send the version back to its proposer; they edit it and submit again."""
    return _close_without_publishing(
        version,
        actor,
        Review.Decision.REQUEST_CHANGES,
        VersionState.CHANGES_REQUESTED,
        "metric_version.request_changes",
        comment,
    )


@transaction.atomic
def metric_version_reject(*, version: MetricVersion, actor, comment: str = "") -> MetricVersion:
    """Reject the version for good; it is never published (a new proposal starts again)."""
    return _close_without_publishing(
        version,
        actor,
        Review.Decision.REJECT,
        VersionState.REJECTED,
        "metric_version.reject",
        comment,
    )
