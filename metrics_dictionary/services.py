"""Every write of the metric dictionary: the review workflow, deprecations, webhooks.

Functions are ``<entity>_<verb>(*, ..., actor)``; each runs in one transaction, checks
permission with ``governance.permissions.check``, audits with ``audit_record`` and queues
emails and webhooks after commit. Refusals raise ``metrics_dictionary.errors``:
``Forbidden`` (403), ``Conflict``/``StaleVersion`` (409), ``DefinitionInvalid`` (400).

Workflow of a version: draft -> in_review (submit) -> approved (enough approvals,
``rules.approval_rule``) | changes_requested (back to the proposer, editable, submit
again) | rejected (final). Approving publishes atomically: the previous approved version
becomes superseded and stays visible in the history.

Concurrency: every transition locks the metric row, then the version row
(``select_for_update``, always in that order) and re-reads the state under the lock, so
two decisions on the same version cannot both win.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from catalog.models import Asset
from catalog.search import search_signals_set
from governance.models import OwnerType, Team
from governance.services import audit_record
from lexicon_core.permissions import check
from metrics_dictionary.definitions import definition_clean
from metrics_dictionary.errors import Conflict, DefinitionInvalid, Forbidden, StaleVersion
from metrics_dictionary.models import (
    CONTENT_FIELDS,
    SUBSCRIBABLE_EVENTS,
    ChangeLogEntry,
    Comment,
    DeprecationNotice,
    Metric,
    MetricOwner,
    MetricStatus,
    MetricVersion,
    Review,
    VersionState,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)
from metrics_dictionary.rules import approval_rule, is_governance_reviewer

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------- helpers


def _require(actor, action: str, obj: Any = None) -> None:
    decision = check(actor, action, obj)
    if not decision:
        raise Forbidden(decision.reason)


def _lock(version: MetricVersion | int) -> tuple[Metric, MetricVersion]:
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


def version_snapshot(version: MetricVersion) -> dict[str, Any]:
    """The definition of a version as plain data (audit rows, diffs, webhook payloads)."""
    data = {f: getattr(version, f) for f in CONTENT_FIELDS}
    data["related_assets"] = sorted(version.related_assets.values_list("unique_id", flat=True))
    data["related_columns"] = sorted(
        f"{a}.{c}" for a, c in version.related_columns.values_list("asset__name", "name")
    )
    return data


def _recompute_columns(definition: dict[str, Any]) -> dict[str, Any]:
    """A new formula or new related models without explicit columns: derive the columns again."""
    if (
        "formula" in definition or "related_asset_ids" in definition
    ) and "related_column_ids" not in definition:
        return {**definition, "related_column_ids": []}
    return definition


def _definition_of(version: MetricVersion) -> dict[str, Any]:
    data = {f: getattr(version, f) for f in CONTENT_FIELDS}
    data["related_asset_ids"] = sorted(version.related_assets.values_list("pk", flat=True))
    data["related_column_ids"] = sorted(version.related_columns.values_list("pk", flat=True))
    return data


def _write_definition(version: MetricVersion, clean: dict[str, Any]) -> None:
    for field in CONTENT_FIELDS:
        setattr(version, field, clean[field])
    version.save()
    version.related_assets.set(clean["related_asset_ids"])
    column_ids = clean["related_column_ids"]
    if not column_ids:
        # Not given: the columns the formula references in the related models.
        from metrics_dictionary.selectors import formula_columns_resolve

        column_ids = [c.pk for c in formula_columns_resolve(version, clean["related_asset_ids"])]
    version.related_columns.set(column_ids)


def _state_refused(version: MetricVersion, wanted: str) -> Conflict:
    return Conflict(
        f"{version} is {version.get_state_display().lower()}; it must be {wanted} for this."
    )


def _metric_status_refresh(metric: Metric) -> None:
    """Draft / in review / approved follow the versions; deprecated and retired are kept."""
    if metric.status in (MetricStatus.DEPRECATED, MetricStatus.RETIRED):
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


def _notify(kind: str, object_id: int, **extra: Any) -> None:
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


def _unique_slug(text: str) -> str:
    base = slugify(text)[:100] or "metric"
    slug, n = base, 2
    while Metric.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# ---------------------------------------------------------------------------- proposing


@transaction.atomic
def metric_propose(
    *,
    name: str,
    definition: dict[str, Any],
    actor,
    slug: str = "",
    tier: int = 3,
    domain: str = "",
    category: str = "",
    owner_users: Iterable = (),
    owner_teams: Iterable[Team] = (),
    owner_type: str = OwnerType.BUSINESS,
) -> MetricVersion:
    """A new metric with its first draft version (number 1). The proposer needs analyst or above.

    Without owners given, the proposer owns it. ``definition`` holds the version fields
    (see ``definitions.definition_clean``)."""
    _require(actor, "metric.propose")
    name = (name or "").strip()
    if not name:
        from metrics_dictionary.errors import DefinitionInvalid

        raise DefinitionInvalid("A metric needs a name.", errors={"name": ["a name is required"]})
    if tier not in (1, 2, 3):
        from metrics_dictionary.errors import DefinitionInvalid

        raise DefinitionInvalid("Tier must be 1, 2 or 3.", errors={"tier": ["must be 1, 2 or 3"]})
    slug = slugify(slug) if slug else _unique_slug(name)
    if Metric.objects.filter(slug=slug).exists():
        raise Conflict(
            f"A metric with the slug “{slug}” already exists; propose a new version of it instead."
        )
    clean = definition_clean({"label": name, **definition})
    metric = Metric.objects.create(
        slug=slug,
        name=name,
        tier=tier,
        domain=domain.strip(),
        category=category.strip(),
        created_by=actor,
    )
    users, teams = list(owner_users), list(owner_teams)
    if not users and not teams:
        users = [actor]
    MetricOwner.objects.bulk_create(
        [
            MetricOwner(metric=metric, user=u, owner_type=owner_type, assigned_by=actor)
            for u in users
        ]
        + [
            MetricOwner(metric=metric, team=t, owner_type=owner_type, assigned_by=actor)
            for t in teams
        ]
    )
    version = MetricVersion(metric=metric, number=1, proposed_by=actor, label=clean["label"])
    _write_definition(version, clean)
    audit_record(
        actor=actor,
        action="metric.create",
        obj=metric,
        after={
            "slug": slug,
            "name": name,
            "tier": tier,
            "domain": metric.domain,
            "owners": [getattr(u, "username", str(u)) for u in users] + [t.name for t in teams],
        },
    )
    audit_record(
        actor=actor, action="metric_version.propose", obj=version, after=version_snapshot(version)
    )
    return version


@transaction.atomic
def metric_version_propose(
    *,
    metric: Metric,
    definition: dict[str, Any],
    actor,
    source: str = "lexicon",
    dbt_digest: str = "",
) -> MetricVersion:
    """A new draft version of an existing metric, starting from its current approved
    version (or its latest version) and overridden by ``definition``."""
    _require(actor, "metric.propose", metric)
    metric = Metric.objects.select_for_update().get(pk=metric.pk)
    if metric.status == MetricStatus.RETIRED:
        raise Conflict(f"“{metric.name}” is retired; it no longer takes changes.")
    base = metric.current_version or metric.versions.order_by("-number").first()
    clean = definition_clean(
        _recompute_columns(definition), base=_definition_of(base) if base else None
    )
    number = (metric.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = MetricVersion(
        metric=metric,
        number=number,
        proposed_by=actor,
        source=source,
        dbt_digest=dbt_digest,
        label=clean["label"],
    )
    _write_definition(version, clean)
    audit_record(
        actor=actor, action="metric_version.propose", obj=version, after=version_snapshot(version)
    )
    return version


@transaction.atomic
def metric_version_update(
    *, version: MetricVersion, definition: dict[str, Any], actor
) -> MetricVersion:
    """Edit a draft (or a version sent back with changes requested) in place."""
    metric, version = _lock(version)
    _require(actor, "metric.edit", version)
    if not version.is_editable:
        raise Conflict(
            f"{version} is {version.get_state_display().lower()}; only drafts and versions with "
            "changes requested can be edited. Propose a new version instead."
        )
    before = version_snapshot(version)
    clean = definition_clean(_recompute_columns(definition), base=_definition_of(version))
    _write_definition(version, clean)
    audit_record(
        actor=actor,
        action="metric_version.update",
        obj=version,
        before=before,
        after=version_snapshot(version),
    )
    return version


# ---------------------------------------------------------------------------- the review


@transaction.atomic
def metric_version_submit(*, version: MetricVersion, actor, comment: str = "") -> MetricVersion:
    """Put a draft (or a version with changes requested) in review and notify the reviewers."""
    metric, version = _lock(version)
    _require(actor, "metric.submit", version)
    if not version.is_editable:
        raise _state_refused(version, "a draft or have changes requested")
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
    _metric_status_refresh(metric)
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
    _notify("review_requested", version.pk)
    return version


def _decide(
    version: MetricVersion, actor, decision: str, comment: str
) -> tuple[Metric, MetricVersion, Review]:
    """Shared part of approve / request changes / reject: lock, check, record the review."""
    metric, version = _lock(version)
    _require(actor, "metric.review", version)
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
    metric, version = _lock(version)
    if (
        version.state == VersionState.IN_REVIEW
        and metric.current_version_id != version.base_version_id
    ):
        _require(actor, "metric.review", version)
        current = metric.current_version
        raise StaleVersion(
            f"{version} was submitted when v{version.base_version.number if version.base_version else '—'} was "
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
        _notify("approval_recorded", version.pk, review_id=review.pk)
        return version
    _publish(metric, version, actor)
    return version


def _publish(metric: Metric, version: MetricVersion, actor) -> None:
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
    _metric_status_refresh(metric)
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
    from metrics_dictionary.drift import metric_drift_check

    metric_drift_check(metric, notify=False)
    _notify("published", version.pk)
    _webhook_emit(WebhookEvent.APPROVED, _metric_payload(metric, version))


def _close_without_publishing(
    version: MetricVersion, actor, decision: str, state: str, action: str, comment: str
) -> MetricVersion:
    metric, version, review = _decide(version, actor, decision, comment)
    version.state = state
    version.decided_at = timezone.now()
    version.save(update_fields=["state", "decided_at", "updated_at"])
    _metric_status_refresh(metric)
    audit_record(
        actor=actor,
        action=action,
        obj=version,
        before={"state": VersionState.IN_REVIEW},
        after={"state": version.state, "comment": review.comment},
    )
    _notify("decided", version.pk, review_id=review.pk)
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


# ---------------------------------------------------------------------------- metric facts


@transaction.atomic
def metric_comment_add(
    *, metric: Metric, body: str, actor, version: MetricVersion | None = None
) -> Comment:
    _require(actor, "metric.comment", metric)
    body = (body or "").strip()
    if not body:
        from metrics_dictionary.errors import DefinitionInvalid

        raise DefinitionInvalid("A comment cannot be empty.", errors={"body": ["write something"]})
    comment = Comment.objects.create(
        metric=metric, version=version, author=actor, body=body[:20000]
    )
    audit_record(actor=actor, action="metric.comment", obj=metric, after={"comment": comment.pk})
    return comment


@transaction.atomic
def metric_update(
    *,
    metric: Metric,
    actor,
    name: str | None = None,
    tier: int | None = None,
    domain: str | None = None,
    category: str | None = None,
) -> Metric:
    """Change a metric's name, tier, domain or category (not its definition: that is a version)."""
    _require(actor, "metric.manage", metric)
    metric = Metric.objects.select_for_update().get(pk=metric.pk)
    before = {
        "name": metric.name,
        "tier": metric.tier,
        "domain": metric.domain,
        "category": metric.category,
    }
    if tier is not None and tier not in (1, 2, 3):
        from metrics_dictionary.errors import DefinitionInvalid

        raise DefinitionInvalid("Tier must be 1, 2 or 3.", errors={"tier": ["must be 1, 2 or 3"]})
    for field, value in (
        ("name", name),
        ("tier", tier),
        ("domain", domain),
        ("category", category),
    ):
        if value is not None:
            setattr(metric, field, value.strip() if isinstance(value, str) else value)
    metric.save(update_fields=["name", "tier", "domain", "category", "updated_at"])
    after = {
        "name": metric.name,
        "tier": metric.tier,
        "domain": metric.domain,
        "category": metric.category,
    }
    audit_record(actor=actor, action="metric.update", obj=metric, before=before, after=after)
    return metric


@transaction.atomic
def metric_owners_set(
    *,
    metric: Metric,
    actor,
    users: Iterable = (),
    teams: Iterable[Team] = (),
    owner_type: str = OwnerType.BUSINESS,
) -> list[MetricOwner]:
    """Replace the owners of one type (technical, business, steward)."""
    _require(actor, "metric.manage", metric)
    if owner_type not in OwnerType.values:
        from metrics_dictionary.errors import DefinitionInvalid

        raise DefinitionInvalid(
            f"Unknown owner type {owner_type!r}.", errors={"owner_type": ["unknown"]}
        )
    metric = Metric.objects.select_for_update().get(pk=metric.pk)

    def snapshot() -> list[dict[str, Any]]:
        return [
            {
                "user": o.user.username if o.user else None,
                "team": o.team.name if o.team else None,
                "type": o.owner_type,
            }
            for o in metric.owners.select_related("user", "team").order_by("id")
        ]

    before = snapshot()
    metric.owners.filter(owner_type=owner_type).delete()
    rows = [
        MetricOwner(metric=metric, user=u, owner_type=owner_type, assigned_by=actor) for u in users
    ]
    rows += [
        MetricOwner(metric=metric, team=t, owner_type=owner_type, assigned_by=actor) for t in teams
    ]
    MetricOwner.objects.bulk_create(rows)
    audit_record(
        actor=actor, action="metric.owners_set", obj=metric, before=before, after=snapshot()
    )
    return rows


def metric_search_sync(metric: Metric) -> None:
    """Make the metric findable by the catalog search with its approved label and meaning,
    ranked last when deprecated or retired. dbt-defined metrics use dbt's asset."""
    from catalog.services import dictionary_metric_asset_upsert

    deprecated = metric.status in (MetricStatus.DEPRECATED, MetricStatus.RETIRED)
    if not metric.defined_in_dbt and metric.current_version_id:
        version = metric.current_version
        asset = dictionary_metric_asset_upsert(
            slug=metric.slug,
            name=metric.name,
            label=version.label,
            description=version.description,
            tags=[t for t in (metric.domain, metric.category) if t],
            deprecated=deprecated,
        )
        if metric.asset_id != asset.pk:
            metric.asset = asset
            metric.save(update_fields=["asset", "updated_at"])
    if metric.asset_id:
        search_signals_set(metric.asset_id, deprecated=deprecated, tier=metric.tier)


# ---------------------------------------------------------------------------- deprecation


def _deprecation_open(
    *,
    metric: Metric | None,
    asset: Asset | None,
    reason: str,
    sunset_date: date | None,
    replacement: Metric | None,
    replacement_asset: Asset | None,
    actor,
) -> DeprecationNotice:
    reason = (reason or "").strip()
    if not reason:
        from metrics_dictionary.errors import DefinitionInvalid

        raise DefinitionInvalid("A deprecation needs a reason.", errors={"reason": ["say why"]})
    if replacement is not None and metric is not None and replacement.pk == metric.pk:
        from metrics_dictionary.errors import DefinitionInvalid

        raise DefinitionInvalid(
            "A metric cannot replace itself.", errors={"replacement": ["pick another metric"]}
        )
    existing = (
        DeprecationNotice.objects.select_for_update()
        .filter(withdrawn_at__isnull=True, **({"metric": metric} if metric else {"asset": asset}))
        .first()
    )
    if existing:
        raise Conflict(
            f"{existing.subject} is already deprecated (since {existing.created_at:%Y-%m-%d})."
        )
    return DeprecationNotice.objects.create(
        metric=metric,
        asset=asset,
        reason=reason,
        sunset_date=sunset_date,
        replacement=replacement,
        replacement_asset=replacement_asset,
        created_by=actor,
    )


def _notice_snapshot(notice: DeprecationNotice) -> dict[str, Any]:
    return {
        "reason": notice.reason,
        "sunset_date": notice.sunset_date.isoformat() if notice.sunset_date else None,
        "replacement": notice.replacement.slug if notice.replacement else None,
        "replacement_asset": notice.replacement_asset.unique_id
        if notice.replacement_asset
        else None,
    }


@transaction.atomic
def metric_deprecate(
    *,
    metric: Metric,
    reason: str,
    actor,
    sunset_date: date | None = None,
    replacement: Metric | None = None,
) -> DeprecationNotice:
    """Deprecate a metric: a banner everywhere it shows, retired after ``sunset_date``."""
    _require(actor, "metric.deprecate", metric)
    metric = Metric.objects.select_for_update().get(pk=metric.pk)
    if metric.status == MetricStatus.RETIRED:
        raise Conflict(f"“{metric.name}” is already retired.")
    if replacement is not None and replacement.status == MetricStatus.RETIRED:
        raise Conflict(f"The replacement “{replacement.name}” is retired itself.")
    notice = _deprecation_open(
        metric=metric,
        asset=None,
        reason=reason,
        sunset_date=sunset_date,
        replacement=replacement,
        replacement_asset=None,
        actor=actor,
    )
    before = {"status": metric.status}
    metric.status = MetricStatus.DEPRECATED
    metric.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="metric.deprecate",
        obj=metric,
        before=before,
        after={"status": metric.status, **_notice_snapshot(notice)},
    )
    ChangeLogEntry.objects.create(
        kind=ChangeLogEntry.Kind.DEPRECATED,
        metric=metric,
        deprecation=notice,
        actor=actor,
        domain=metric.domain,
        tier=metric.tier,
        title=f"{metric.name} deprecated",
        summary=_notice_text(notice),
    )
    metric_search_sync(metric)
    _notify("deprecated", notice.pk)
    _webhook_emit(
        WebhookEvent.DEPRECATED,
        {
            **_metric_payload(metric, metric.current_version),
            "deprecation": _notice_snapshot(notice),
        },
    )
    return notice


@transaction.atomic
def asset_deprecate(
    *,
    asset: Asset,
    reason: str,
    actor,
    sunset_date: date | None = None,
    replacement_asset: Asset | None = None,
    replacement: Metric | None = None,
) -> DeprecationNotice:
    """The same deprecation notice for a catalog asset (a deprecated mart); search ranks it last."""
    _require(actor, "asset.deprecate", asset)
    notice = _deprecation_open(
        metric=None,
        asset=asset,
        reason=reason,
        sunset_date=sunset_date,
        replacement=replacement,
        replacement_asset=replacement_asset,
        actor=actor,
    )
    search_signals_set(asset.pk, deprecated=True)
    audit_record(actor=actor, action="asset.deprecate", obj=asset, after=_notice_snapshot(notice))
    ChangeLogEntry.objects.create(
        kind=ChangeLogEntry.Kind.DEPRECATED,
        asset=asset,
        deprecation=notice,
        actor=actor,
        title=f"{asset.label or asset.name} ({asset.get_kind_display().lower()}) deprecated",
        summary=_notice_text(notice),
    )
    _webhook_emit(
        WebhookEvent.DEPRECATED,
        {
            "asset": {"id": asset.pk, "unique_id": asset.unique_id, "name": asset.name},
            "deprecation": _notice_snapshot(notice),
        },
    )
    return notice


@transaction.atomic
def deprecation_withdraw(*, subject: Metric | Asset, actor) -> DeprecationNotice:
    """Undo the active deprecation of a metric or a catalog asset that has not retired its
    metric yet. Permission first: the state of a subject someone may not manage is not
    theirs to learn from a 409."""
    is_metric = isinstance(subject, Metric)
    _require(actor, "metric.deprecate" if is_metric else "asset.deprecate", subject)
    notice = (
        DeprecationNotice.objects.select_for_update()
        .filter(
            withdrawn_at__isnull=True, **({"metric": subject} if is_metric else {"asset": subject})
        )
        .first()
    )
    if notice is None:
        raise Conflict(f"{subject.name} is not deprecated.")
    if notice.retired_at:
        raise Conflict("This deprecation is already withdrawn or has retired its metric.")
    notice.withdrawn_at = timezone.now()
    notice.save(update_fields=["withdrawn_at"])
    if is_metric:
        metric = Metric.objects.select_for_update().get(pk=notice.metric_id)
        metric.status = MetricStatus.APPROVED if metric.current_version_id else MetricStatus.DRAFT
        metric.save(update_fields=["status", "updated_at"])
        _metric_status_refresh(metric)
        metric_search_sync(metric)
    else:
        search_signals_set(notice.asset_id, deprecated=False)
    audit_record(
        actor=actor,
        action="deprecation.withdraw",
        obj=notice.subject,
        before=_notice_snapshot(notice),
    )
    return notice


def _notice_text(notice: DeprecationNotice) -> str:
    text = notice.reason
    if notice.sunset_date:
        text += f" Sunset on {notice.sunset_date:%Y-%m-%d}."
    if notice.replacement:
        text += f" Use “{notice.replacement.name}” instead."
    elif notice.replacement_asset:
        text += f" Use {notice.replacement_asset.name} instead."
    return text


@transaction.atomic
def metrics_retire_due(*, today: date | None = None) -> list[int]:
    """Retire deprecated metrics whose sunset date has passed (the daily beat task).

    A retired metric stays resolvable by URL; its page is a tombstone pointing to the
    replacement. Safe to run twice: only notices not yet retired are claimed."""
    today = today or timezone.localdate()
    due = list(
        DeprecationNotice.objects.select_for_update(skip_locked=True).filter(
            metric__isnull=False,
            withdrawn_at__isnull=True,
            retired_at__isnull=True,
            sunset_date__lt=today,
        )
    )
    retired = []
    now = timezone.now()
    for notice in due:
        metric = Metric.objects.select_for_update().get(pk=notice.metric_id)
        before = {"status": metric.status}
        metric.status = MetricStatus.RETIRED
        metric.retired_at = now
        metric.save(update_fields=["status", "retired_at", "updated_at"])
        notice.retired_at = now
        notice.save(update_fields=["retired_at"])
        # Open proposals can no longer be published.
        open_versions = metric.versions.filter(
            state__in=[VersionState.DRAFT, VersionState.IN_REVIEW, VersionState.CHANGES_REQUESTED]
        )
        open_versions.update(state=VersionState.REJECTED, decided_at=now)
        audit_record(
            actor=None,
            action="metric.retire",
            obj=metric,
            before=before,
            after={"status": metric.status, "sunset_date": notice.sunset_date.isoformat()},
        )
        ChangeLogEntry.objects.create(
            kind=ChangeLogEntry.Kind.RETIRED,
            metric=metric,
            deprecation=notice,
            domain=metric.domain,
            tier=metric.tier,
            title=f"{metric.name} retired",
            summary=_notice_text(notice),
        )
        metric_search_sync(metric)
        retired.append(metric.pk)
    return retired


# ---------------------------------------------------------------------------- webhooks


def _metric_payload(metric: Metric, version: MetricVersion | None) -> dict[str, Any]:
    from django.conf import settings
    from django.urls import reverse

    payload: dict[str, Any] = {
        "metric": {
            "slug": metric.slug,
            "name": metric.name,
            "tier": metric.tier,
            "domain": metric.domain,
            "status": metric.status,
            "defined_in_dbt": metric.defined_in_dbt,
            "url": settings.LEXICON_BASE_URL
            + reverse("metrics_dictionary:metric", args=[metric.slug]),
        },
    }
    if version is not None:
        payload["version"] = {
            "number": version.number,
            "label": version.label,
            "formula": version.formula,
            "type": version.metric_type,
            "change_summary": version.change_summary,
            "proposed_by": version.proposed_by.username if version.proposed_by else None,
        }
    return payload


def _webhook_emit(event: str, payload: dict[str, Any]) -> None:
    """Record one delivery per subscribed webhook and send them after commit."""
    from metrics_dictionary.webhooks import deliveries_create

    deliveries_create(event=event, payload=payload)


def _webhook_validate(
    *, url: str | None = None, events: list[str] | None = None, secret_env: str = ""
) -> None:
    """The rules of a webhook's fields, for create and update alike; ``None`` is not checked."""
    errors: dict[str, list[str]] = {}
    if url is not None:
        try:
            parts = urlsplit(url)
            hostname = parts.hostname
        except ValueError:  # e.g. an unclosed IPv6 bracket
            hostname = None
        if not hostname or parts.scheme not in ("http", "https"):
            errors["url"] = ["must be an http(s) URL"]
        elif len(url) > Webhook._meta.get_field("url").max_length:
            errors["url"] = ["is too long (at most 1000 characters)"]
    if events is not None:
        unknown = [e for e in events if e not in SUBSCRIBABLE_EVENTS]
        if unknown:
            errors["events"] = [
                f"unknown event(s) {', '.join(map(str, unknown))}; use "
                f"{', '.join(SUBSCRIBABLE_EVENTS)}"
            ]
    if secret_env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,99}", secret_env):
        errors["secret_env"] = [
            "must be an environment variable name (letters, digits, underscores)"
        ]
    if errors:
        raise DefinitionInvalid("The webhook is not valid.", errors=errors)


def _webhook_snapshot(webhook: Webhook) -> dict[str, Any]:
    return {
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events),
        "active": webhook.active,
    }


@transaction.atomic
def webhook_create(
    *, name: str, url: str, actor, events: Iterable[str] = (), secret_env: str = ""
) -> tuple[Webhook, str | None]:
    """Create a webhook; returns it with its signing secret, shown this once (None when
    the secret comes from the environment variable ``secret_env``)."""
    from metrics_dictionary.webhooks import webhook_secret

    _require(actor, "webhook.manage")
    events = list(dict.fromkeys(events))
    url, secret_env = url.strip(), secret_env.strip()
    _webhook_validate(url=url, events=events, secret_env=secret_env)
    hook = Webhook.objects.create(
        name=name.strip() or url,
        url=url,
        events=events,
        created_by=actor,
        secret_env=secret_env,
        secret_salt="" if secret_env else secrets.token_hex(16),
    )
    audit_record(
        actor=actor, action="webhook.create", obj=hook, after={"url": url, "events": events}
    )
    return hook, (None if hook.secret_env else webhook_secret(hook))


@transaction.atomic
def webhook_update(
    *,
    webhook: Webhook,
    actor,
    name: str | None = None,
    url: str | None = None,
    events: Iterable[str] | None = None,
    active: bool | None = None,
) -> Webhook:
    """Change what is given (``None`` leaves a field as it is); audited with before and after.
    An empty ``events`` subscribes to every event; a blank ``name`` becomes the URL."""
    _require(actor, "webhook.manage")
    url = url.strip() if url is not None else None
    events = list(dict.fromkeys(events)) if events is not None else None
    _webhook_validate(url=url, events=events)
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    before = _webhook_snapshot(webhook)
    if url is not None:
        webhook.url = url
    if name is not None:
        webhook.name = name.strip() or webhook.url
    if events is not None:
        webhook.events = events
    if active is not None:
        webhook.active = active
    after = _webhook_snapshot(webhook)
    changed = [f for f in after if after[f] != before[f]]
    if changed:
        webhook.save(update_fields=changed)
        audit_record(
            actor=actor,
            action="webhook.update",
            obj=webhook,
            before={f: before[f] for f in changed},
            after={f: after[f] for f in changed},
        )
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: Webhook, actor) -> None:
    """Delete a webhook and its delivery history; audited with what it was."""
    _require(actor, "webhook.manage")
    webhook = Webhook.objects.select_for_update().filter(pk=webhook.pk).first()
    if webhook is None:
        raise Conflict("This webhook no longer exists.")
    audit_record(
        actor=actor, action="webhook.delete", obj=webhook, before=_webhook_snapshot(webhook)
    )
    webhook.delete()


@transaction.atomic
def webhook_ping(*, webhook: Webhook, actor) -> WebhookDelivery:
    """Send a ``ping`` test event to this webhook (active or not), after commit; the
    delivery is recorded like any other, so its page shows whether the receiver answered."""
    from metrics_dictionary.webhooks import delivery_create

    _require(actor, "webhook.manage")
    return delivery_create(
        webhook=webhook,
        event=WebhookEvent.PING,
        payload={
            "webhook": {"id": webhook.pk, "name": webhook.name},
            "sent_by": actor.get_username(),
        },
    )


@transaction.atomic
def webhook_secret_rotate(*, webhook: Webhook, actor) -> str:
    """A new signing secret (shown once); the old one stops working at once."""
    from metrics_dictionary.webhooks import webhook_secret

    _require(actor, "webhook.manage")
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    webhook.secret_salt, webhook.secret_env = secrets.token_hex(16), ""
    webhook.save(update_fields=["secret_salt", "secret_env"])
    audit_record(actor=actor, action="webhook.rotate_secret", obj=webhook)
    return webhook_secret(webhook)
