"""Proposing: a new metric with its first draft, a new draft version of a metric, editing a
draft. A version's definition is validated by ``definitions.definition_clean``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from governance.models import OwnerType, Team
from governance.services import audit_record
from lexicon_core.tiers import TIERS, Tier
from metrics_dictionary.errors import Conflict, DefinitionInvalid
from metrics_dictionary.models import (
    CONTENT_FIELDS,
    Metric,
    MetricOwner,
    MetricStatus,
    MetricVersion,
)
from metrics_dictionary.services._common import lock_version, require, tier_refused
from metrics_dictionary.services.definitions import definition_clean


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


def write_definition(version: MetricVersion, clean: dict[str, Any]) -> None:
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


def _unique_slug(text: str) -> str:
    base = slugify(text)[:100] or "metric"
    slug, n = base, 2
    while Metric.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def metric_propose(
    *,
    name: str,
    definition: dict[str, Any],
    actor,
    slug: str = "",
    tier: int = Tier.TIER_3,
    domain: str = "",
    category: str = "",
    owner_users: Iterable = (),
    owner_teams: Iterable[Team] = (),
    owner_type: str = OwnerType.BUSINESS,
) -> MetricVersion:
    """A new metric with its first draft version (number 1). The proposer needs analyst or above.

    Without owners given, the proposer owns it. ``definition`` holds the version fields
    (see ``definitions.definition_clean``)."""
    require(actor, "metric.propose")
    name = (name or "").strip()
    if not name:
        raise DefinitionInvalid("A metric needs a name.", errors={"name": ["a name is required"]})
    if tier not in TIERS:
        raise tier_refused()
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
    write_definition(version, clean)
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
    require(actor, "metric.propose", metric)
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
    write_definition(version, clean)
    audit_record(
        actor=actor, action="metric_version.propose", obj=version, after=version_snapshot(version)
    )
    return version


@transaction.atomic
def metric_version_update(
    *, version: MetricVersion, definition: dict[str, Any], actor
) -> MetricVersion:
    """Edit a draft (or a version sent back with changes requested) in place."""
    metric, version = lock_version(version)
    require(actor, "metric.edit", version)
    if not version.is_editable:
        raise Conflict(
            f"{version} is {version.get_state_display().lower()}; only drafts and versions with "
            "changes requested can be edited. Propose a new version instead."
        )
    before = version_snapshot(version)
    clean = definition_clean(_recompute_columns(definition), base=_definition_of(version))
    write_definition(version, clean)
    audit_record(
        actor=actor,
        action="metric_version.update",
        obj=version,
        before=before,
        after=version_snapshot(version),
    )
    return version
