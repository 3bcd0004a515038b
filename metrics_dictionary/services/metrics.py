"""A metric's own facts, outside the version workflow: name, tier, domain and category, its
owners, comments, and its catalog search document."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from catalog.search import search_signals_set
from governance.models import OwnerType, Team
from governance.services import audit_record
from lexicon_core.tiers import TIERS
from metrics_dictionary.errors import DefinitionInvalid
from metrics_dictionary.models import (
    OUTGOING_STATUSES,
    Comment,
    Metric,
    MetricOwner,
    MetricVersion,
)
from metrics_dictionary.services._common import require, tier_refused


@transaction.atomic
def metric_comment_add(
    *, metric: Metric, body: str, actor, version: MetricVersion | None = None
) -> Comment:
    require(actor, "metric.comment", metric)
    body = (body or "").strip()
    if not body:
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
    require(actor, "metric.manage", metric)
    metric = Metric.objects.select_for_update().get(pk=metric.pk)
    before = {
        "name": metric.name,
        "tier": metric.tier,
        "domain": metric.domain,
        "category": metric.category,
    }
    if tier is not None and tier not in TIERS:
        raise tier_refused()
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
    require(actor, "metric.manage", metric)
    if owner_type not in OwnerType.values:
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

    deprecated = metric.status in OUTGOING_STATUSES
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
