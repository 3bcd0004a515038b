"""Rules of the metric dictionary, registered in ``lexicon_core.permissions`` at start-up.

Pages and the API ask ``lexicon_core.permissions.check(user, action, obj)`` only. Object-level
rules take a ``Metric`` or a ``MetricVersion`` as ``obj``. State (draft, in review, ...)
is not checked here: a refused transition is a conflict (409), raised by the services.
"""

from __future__ import annotations

from lexicon_core.permissions import ALLOW, Decision, rule
from lexicon_core.roles import ADMIN, ANALYST, GOVERNANCE_REVIEWER, METRIC_OWNER, has_role
from metrics_dictionary.rules import is_metric_owner, may_review

CONTRIBUTOR_ROLES = (ANALYST, METRIC_OWNER, GOVERNANCE_REVIEWER, ADMIN)


def _metric_of(obj):
    from metrics_dictionary.models import Metric, MetricVersion

    if isinstance(obj, MetricVersion):
        return obj.metric
    if isinstance(obj, Metric):
        return obj
    return None


@rule("metric.propose", "Proposing a new metric or a change to one")
def _metric_propose(user, obj) -> Decision:
    if has_role(user, *CONTRIBUTOR_ROLES):
        return ALLOW
    return Decision(
        False,
        "Proposing metrics needs the analyst role or above; viewers can read and follow them.",
    )


@rule("metric.edit", "Editing a draft metric version")
def _metric_edit(user, obj) -> Decision:
    from metrics_dictionary.models import MetricVersion

    if not has_role(user, *CONTRIBUTOR_ROLES):
        return Decision(False, "Editing metric drafts needs the analyst role or above.")
    if (
        isinstance(obj, MetricVersion)
        and obj.proposed_by_id not in (None, user.pk)
        and not has_role(user, ADMIN)
    ):
        return Decision(False, "Only the proposer of this draft (or an admin) can edit it.")
    return ALLOW


@rule("metric.submit", "Submitting a metric version for review")
def _metric_submit(user, obj) -> Decision:
    from metrics_dictionary.models import MetricVersion

    if not has_role(user, *CONTRIBUTOR_ROLES):
        return Decision(False, "Submitting metric changes needs the analyst role or above.")
    if (
        isinstance(obj, MetricVersion)
        and obj.proposed_by_id not in (None, user.pk)
        and not (has_role(user, ADMIN) or is_metric_owner(user, obj.metric))
    ):
        return Decision(
            False, "Only the proposer, the metric's owners or an admin can submit this version."
        )
    return ALLOW


@rule("metric.review", "Approving, rejecting or requesting changes to a metric version")
def _metric_review(user, obj) -> Decision:
    from metrics_dictionary.models import MetricVersion

    metric = _metric_of(obj)
    if isinstance(obj, MetricVersion) and obj.proposed_by_id == user.pk:
        return Decision(False, "You proposed this version; someone else must review it.")
    allowed, reason = (
        may_review(user, metric)
        if metric is not None
        else (
            has_role(user, METRIC_OWNER, GOVERNANCE_REVIEWER, ADMIN),
            "Reviewing metrics needs the metric owner role.",
        )
    )
    return ALLOW if allowed else Decision(False, reason)


@rule("metric.comment", "Commenting on a metric")
def _metric_comment(user, obj) -> Decision:
    if has_role(user, *CONTRIBUTOR_ROLES):
        return ALLOW
    return Decision(False, "Commenting needs the analyst role or above.")


def _owner_or_reviewer(user, obj, refusal: str) -> Decision:
    """Governance reviewers and admins, or a metric owner among this metric's owners."""
    metric = _metric_of(obj)
    if has_role(user, GOVERNANCE_REVIEWER, ADMIN):
        return ALLOW
    if metric is not None and has_role(user, METRIC_OWNER) and is_metric_owner(user, metric):
        return ALLOW
    return Decision(False, refusal)


@rule("metric.manage", "Changing a metric's owners, tier, domain or name")
def _metric_manage(user, obj) -> Decision:
    return _owner_or_reviewer(
        user,
        obj,
        "Only the metric's owners, governance reviewers and admins change its owners or tier.",
    )


@rule("metric.deprecate", "Deprecating a metric")
def _metric_deprecate(user, obj) -> Decision:
    return _owner_or_reviewer(
        user, obj, "Only the metric's owners, governance reviewers and admins deprecate a metric."
    )


@rule("asset.deprecate", "Deprecating a catalog asset")
def _asset_deprecate(user, obj) -> Decision:
    if has_role(user, GOVERNANCE_REVIEWER, ADMIN):
        return ALLOW
    return Decision(False, "Only governance reviewers and admins deprecate catalog assets.")


@rule("webhook.manage", "Managing outgoing webhooks")
def _webhook_manage(user, obj) -> Decision:
    if has_role(user, ADMIN):
        return ALLOW
    return Decision(False, "Only admins manage webhooks.")
