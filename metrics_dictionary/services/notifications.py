"""Emails of the metric dictionary (Django mail): who hears about what.

- review requested -> the metric's reviewers (owners, governance reviewers, admins) but not
  the proposer
- an approval recorded but not yet enough -> the proposer
- published / changes requested / rejected -> the proposer and the owners
- deprecated -> the owners and the proposers of open versions
- needs attention -> the owners
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from metrics_dictionary.models import DeprecationNotice, Metric, MetricVersion, Review
from metrics_dictionary.rules import metric_owner_users, metric_reviewers


def _url(name: str, *args: Any) -> str:
    return settings.LEXICON_BASE_URL + reverse(name, args=args)


def _send(subject: str, body: str, users) -> int:
    recipients = sorted({u.email for u in users if getattr(u, "email", "")})
    if not recipients:
        return 0
    send_mail(f"[Lexicon] {subject}", body, settings.DEFAULT_FROM_EMAIL, recipients)
    return len(recipients)


def notify(kind: str, object_id: int, extra: dict[str, Any] | None = None) -> int:
    """Send the email for one event; returns the number of recipients."""
    extra = extra or {}
    if kind == "needs_attention":
        metric = Metric.objects.get(pk=object_id)
        lines = "\n".join(f"- {r['message']}" for r in metric.attention_reasons or [])
        return _send(
            f"{metric.name} needs attention",
            f"The catalog changed under the approved definition of {metric.name}:\n\n{lines}\n\n"
            f"Review it: {_url('metrics_dictionary:metric', metric.slug)}\n",
            metric_owner_users(metric),
        )
    if kind == "deprecated":
        notice = DeprecationNotice.objects.select_related("metric", "replacement").get(pk=object_id)
        metric = notice.metric
        if metric is None:
            return 0
        proposers = [
            v.proposed_by
            for v in metric.versions.filter(
                state__in=["draft", "in_review", "changes_requested"]
            ).select_related("proposed_by")
            if v.proposed_by
        ]
        sunset = (
            f"\nIt will be retired after {notice.sunset_date:%Y-%m-%d}."
            if notice.sunset_date
            else ""
        )
        replacement = f"\nUse {notice.replacement.name} instead." if notice.replacement else ""
        return _send(
            f"{metric.name} is deprecated",
            f"{metric.name} was deprecated: {notice.reason}{sunset}{replacement}\n\n"
            f"{_url('metrics_dictionary:metric', metric.slug)}\n",
            list(metric_owner_users(metric)) + proposers,
        )
    version = MetricVersion.objects.select_related("metric", "proposed_by").get(pk=object_id)
    metric = version.metric
    link = _url("metrics_dictionary:version", metric.slug, version.number)
    if kind == "review_requested":
        reviewers = [u for u in metric_reviewers(metric) if u.pk != version.proposed_by_id]
        who = version.proposed_by.username if version.proposed_by else "dbt"
        return _send(
            f"Review requested: {metric.name} v{version.number}",
            f"{who} proposed a change to {metric.name} (tier {metric.tier}).\n\n"
            f"{version.change_summary or 'No change summary given.'}\n\nReview it: {link}\n",
            reviewers,
        )
    review = Review.objects.select_related("reviewer").filter(pk=extra.get("review_id")).first()
    by = review.reviewer.username if review and review.reviewer else "someone"
    comment = f"\n\nComment: {review.comment}" if review and review.comment else ""
    proposer = [version.proposed_by] if version.proposed_by else []
    if kind == "approval_recorded":
        return _send(
            f"{metric.name} v{version.number}: approved by {by}, more approvals needed",
            f"{by} approved v{version.number} of {metric.name}; it needs more approvals before "
            f"it is published.{comment}\n\n{link}\n",
            proposer,
        )
    if kind == "published":
        return _send(
            f"{metric.name} v{version.number} is approved and published",
            f"v{version.number} of {metric.name} is now the approved definition.\n\n"
            f"{version.change_summary}\n\n{link}\n",
            proposer + list(metric_owner_users(metric)),
        )
    if kind == "decided":
        verb = "requested changes to" if version.state == "changes_requested" else "rejected"
        return _send(
            f"{by} {verb} {metric.name} v{version.number}",
            f"{by} {verb} v{version.number} of {metric.name}.{comment}\n\n{link}\n",
            proposer + list(metric_owner_users(metric)),
        )
    raise ValueError(f"unknown notification kind {kind!r}")
