"""Reads of the metric dictionary for pages, the API and the feed.

Public functions (the contract the pages use):

- ``metrics_list()`` the directory queryset; ``filters.MetricFilterSet`` filters it
- ``metrics_matching(metrics, q)`` the search of the directory, best first (a queryset)
- ``metric_get(slug)`` one metric with owners, current version and active deprecation
- ``metric_versions(metric)`` every version, newest first, with proposer and reviews
- ``version_get(metric, number)``
- ``version_diff(a, b)`` field-by-field diff of two versions
- ``version_impact(version)`` what a reviewer sees before approving
- ``inbox(user)`` waiting for me / waiting for others / my proposals
- ``changelog(*, domain, owner, tier, kind)`` release notes (approved changes, deprecations)
- ``metric_banners(metric)`` / ``asset_deprecation(asset)`` banner data
- ``usage_for_assets(assets)`` people who queried the tables (behind one function)
- ``approval_progress(version)`` approvals so far against the tier's rule
- ``webhooks_list()`` / ``webhook_deliveries(webhook)`` the webhooks page and API
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Lower
from django.utils import timezone

from catalog.models import Asset, AssetKind, Column
from lexicon_core.permissions import allowed
from metrics_dictionary.models import (
    CONTENT_FIELDS,
    ChangeLogEntry,
    DeprecationNotice,
    Metric,
    MetricOwner,
    MetricStatus,
    MetricVersion,
    Review,
    VersionState,
    Webhook,
    WebhookDelivery,
)
from metrics_dictionary.rules import ApprovalRule, approval_rule
from metrics_dictionary.services.formula import formula_column_refs, type_family, type_is_numeric

# ---------------------------------------------------------------------------- directory


def metrics_list() -> QuerySet[Metric]:
    """The directory: every metric (any role may read) with what its row shows, by name.
    ``filters.MetricFilterSet`` narrows it for the page and the API."""
    return (
        Metric.objects.select_related("current_version", "asset")
        .prefetch_related(
            Prefetch("owners", queryset=MetricOwner.objects.select_related("user", "team")),
            Prefetch(
                "deprecations",
                queryset=DeprecationNotice.objects.filter(withdrawn_at__isnull=True).select_related(
                    "replacement"
                ),
                to_attr="active_deprecations",
            ),
        )
        .order_by("name", "id")
    )


def metrics_matching(metrics: QuerySet[Metric], q: str) -> QuerySet[Metric]:
    """The metrics that match ``q``, best first: the catalog search finds published metrics
    by their asset (ranked as it ranks them, deprecated last), slug, name, any version's
    label and domain match the others; ties and the rest by name."""
    from catalog.search import search_asset_ids

    q = (q or "").strip()
    if not q:
        return metrics
    page = search_asset_ids(q, Asset.objects.filter(kind=AssetKind.METRIC), limit=500)
    hits = {asset_id: rank for rank, asset_id in enumerate(page.asset_ids)}
    labelled = MetricVersion.objects.filter(label__icontains=q).values("metric_id")
    text = Q(slug__icontains=q) | Q(name__icontains=q) | Q(pk__in=labelled) | Q(domain__icontains=q)
    order: list[Any] = [Lower("name"), "name", "id"]
    if hits:  # not without: a constant in ORDER BY reads as a column position (PostgreSQL)
        rank = (When(asset_id=asset_id, then=Value(n)) for asset_id, n in hits.items())
        order.insert(0, Case(*rank, default=Value(len(hits)), output_field=IntegerField()))
    return metrics.filter(Q(asset_id__in=list(hits)) | text).order_by(*order)


def metric_facets() -> dict[str, list[tuple[str, int]]]:
    """Counts for the directory filters: domain, tier, status."""
    base = Metric.objects.order_by()
    return {
        "domain": [
            (r["domain"], r["n"])
            for r in base.exclude(domain="")
            .values("domain")
            .annotate(n=Count("id"))
            .order_by("domain")
        ],
        "tier": [
            (str(r["tier"]), r["n"])
            for r in base.values("tier").annotate(n=Count("id")).order_by("tier")
        ],
        "status": [
            (r["status"], r["n"])
            for r in base.values("status").annotate(n=Count("id")).order_by("status")
        ],
    }


def metric_get(slug: str) -> Metric:
    """One metric by slug (retired ones too) with what its page shows. Raises
    Metric.DoesNotExist."""
    return (
        Metric.objects.select_related("current_version__proposed_by", "asset__project")
        .prefetch_related(
            Prefetch("owners", queryset=MetricOwner.objects.select_related("user", "team")),
            Prefetch(
                "deprecations",
                queryset=DeprecationNotice.objects.filter(withdrawn_at__isnull=True).select_related(
                    "replacement", "created_by"
                ),
                to_attr="active_deprecations",
            ),
            "current_version__related_assets",
            "current_version__related_columns__asset",
        )
        .get(slug=slug)
    )


def metric_versions(metric: Metric) -> QuerySet[MetricVersion]:
    return (
        metric.versions.select_related("proposed_by", "base_version")
        .prefetch_related(Prefetch("reviews", queryset=Review.objects.select_related("reviewer")))
        .order_by("-number")
    )


def version_get(metric: Metric, number: int) -> MetricVersion:
    """Raises MetricVersion.DoesNotExist."""
    return (
        metric.versions.select_related("proposed_by", "metric", "base_version")
        .prefetch_related(
            "related_assets",
            "related_columns__asset",
            Prefetch("reviews", queryset=Review.objects.select_related("reviewer")),
        )
        .get(number=number)
    )


def active_deprecation(metric: Metric) -> DeprecationNotice | None:
    cached = getattr(metric, "active_deprecations", None)
    if cached is not None:
        return cached[0] if cached else None
    return (
        metric.deprecations.filter(withdrawn_at__isnull=True).select_related("replacement").first()
    )


def asset_deprecation(asset: Asset | int) -> DeprecationNotice | None:
    """The active deprecation notice of a catalog asset, if any."""
    asset_id = asset if isinstance(asset, int) else asset.pk
    return (
        DeprecationNotice.objects.filter(asset_id=asset_id, withdrawn_at__isnull=True)
        .select_related("replacement", "replacement_asset", "created_by")
        .first()
    )


@dataclass
class Banner:
    level: str  # "warn" | "danger" | "info"
    title: str
    message: str
    items: list[str] = field(default_factory=list)
    link_url: str = ""
    link_text: str = ""


def metric_banners(metric: Metric) -> list[Banner]:
    """What the top of a metric page (and the API) warns about: retired, deprecated, drift."""
    from django.urls import reverse

    banners: list[Banner] = []
    notice = active_deprecation(metric)
    if metric.status == MetricStatus.RETIRED:
        replacement = notice.replacement if notice else None
        banners.append(
            Banner(
                "danger",
                "Retired",
                f"This metric was retired on {metric.retired_at:%Y-%m-%d}."
                if metric.retired_at
                else "This metric was retired.",
                items=[notice.reason] if notice else [],
                link_url=reverse("metrics_dictionary:metric", args=[replacement.slug])
                if replacement
                else "",
                link_text=f"Use {replacement.name} instead" if replacement else "",
            )
        )
    elif notice is not None:
        sunset = (
            f" It will be retired after {notice.sunset_date:%Y-%m-%d}."
            if notice.sunset_date
            else ""
        )
        replacement = notice.replacement
        banners.append(
            Banner(
                "warn",
                "Deprecated",
                f"{notice.reason}{sunset}",
                link_url=reverse("metrics_dictionary:metric", args=[replacement.slug])
                if replacement
                else "",
                link_text=f"Use {replacement.name} instead" if replacement else "",
            )
        )
    if metric.needs_attention:
        banners.append(
            Banner(
                "warn",
                "Needs attention",
                "The catalog changed under this metric's approved definition; its owners have "
                "been told.",
                items=[r.get("message", "") for r in metric.attention_reasons or []],
            )
        )
    return banners


def approval_progress(version: MetricVersion) -> dict[str, Any]:
    """Approvals of the current review round against the tier's rule."""
    rule: ApprovalRule = approval_rule(version.metric.tier)
    reviews = [r for r in version.reviews.all() if r.round == version.review_round]
    approvals = [r for r in reviews if r.decision == Review.Decision.APPROVE]
    return {
        "rule": rule,
        "rule_text": rule.describe(),
        "approvals": len(approvals),
        "governance_approvals": sum(1 for r in approvals if r.as_governance),
        "approved_by": [r.reviewer for r in approvals],
        "reviews": reviews,
    }


# ---------------------------------------------------------------------------- inbox


def inbox(user) -> dict[str, list[MetricVersion]]:
    """The approvals inbox: versions in review this user may decide and has not yet
    (``waiting_for_me``), in review but not theirs to decide now (``waiting_for_others``),
    and everything they proposed that is still open or recently decided (``my_proposals``)."""
    in_review = list(
        MetricVersion.objects.filter(state=VersionState.IN_REVIEW)
        .select_related("metric", "proposed_by")
        .prefetch_related(
            Prefetch("reviews", queryset=Review.objects.select_related("reviewer")),
            "metric__owners__user",
            "metric__owners__team__members",
        )
        .order_by("submitted_at", "id")
    )
    mine, others = [], []
    for version in in_review:
        reviewed = any(
            r.reviewer_id == user.pk and r.round == version.review_round
            for r in version.reviews.all()
        )
        if (
            version.proposed_by_id != user.pk
            and not reviewed
            and allowed(user, "metric.review", version)
        ):
            mine.append(version)
        else:
            others.append(version)
    proposals = list(
        MetricVersion.objects.filter(proposed_by=user)
        .select_related("metric")
        .prefetch_related(Prefetch("reviews", queryset=Review.objects.select_related("reviewer")))
        .order_by("-updated_at", "-id")[:50]
    )
    return {"waiting_for_me": mine, "waiting_for_others": others, "my_proposals": proposals}


# ---------------------------------------------------------------------------- diff


@dataclass
class FieldDiff:
    field: str
    label: str
    old: Any
    new: Any
    changed: bool


FIELD_LABELS = {
    "label": "Label",
    "description": "Business meaning",
    "formula": "Formula",
    "metric_type": "Type",
    "type_params": "Type parameters",
    "time_grains": "Time grains",
    "entity_grain": "Entity grain",
    "dimensions": "Dimensions",
    "filters": "Filters",
    "unit": "Unit",
    "format": "Format",
    "caveats": "Caveats",
    "example_query": "Example query",
    "change_summary": "Change summary",
    "related_assets": "Related models",
    "related_columns": "Related columns",
}


def version_diff(old: MetricVersion | None, new: MetricVersion) -> list[FieldDiff]:
    """Field-by-field comparison, in definition order; ``old`` None compares with nothing."""
    from metrics_dictionary.services.proposals import version_snapshot

    a = version_snapshot(old) if old is not None else {}
    b = version_snapshot(new)
    rows = []
    for name in (*CONTENT_FIELDS, "related_assets", "related_columns"):
        left, right = a.get(name), b.get(name)
        rows.append(FieldDiff(name, FIELD_LABELS[name], left, right, _norm(left) != _norm(right)))
    return rows


def _norm(value: Any) -> str:
    if value in (None, "", [], {}):
        return ""
    return json.dumps(value, sort_keys=True) if not isinstance(value, str) else value


# ---------------------------------------------------------------------------- columns and impact


def _dialect_for(assets: list[Asset]) -> str:
    for asset in assets:
        if asset.project.dialect:
            return asset.project.dialect
    return ""


def _input_metric_names(version: MetricVersion) -> set[str]:
    params = version.type_params or {}
    names = set()
    for value in (params.get("metrics") or []) + [
        params.get("numerator"),
        params.get("denominator"),
    ]:
        if isinstance(value, dict):
            names.update(filter(None, (value.get("name"), value.get("alias"))))
        elif isinstance(value, str):
            names.add(value)
    return {n.lower() for n in names}


@dataclass
class ColumnCheck:
    name: str
    table: str
    asset: Asset | None
    column: Column | None
    exists: bool
    data_type: str
    compatible: bool | None  # None: type unknown
    note: str


def formula_column_checks(
    version: MetricVersion, asset_ids: list[int] | None = None
) -> list[ColumnCheck]:
    """Each column the formula references, resolved against the related models' live columns.

    A name found in no related model does not exist; a column used inside SUM/AVG whose
    warehouse type is not numeric is incompatible."""
    assets = list(
        Asset.objects.filter(
            pk__in=asset_ids if asset_ids is not None else version.related_assets.values("pk")
        ).select_related("project")
    )
    refs = formula_column_refs(
        version.formula or "", _dialect_for(assets), exclude=_input_metric_names(version)
    )
    columns: dict[str, list[Column]] = {}
    for column in Column.objects.filter(asset__in=assets, removed_at__isnull=True).select_related(
        "asset"
    ):
        columns.setdefault(column.name_key, []).append(column)
    checks = []
    for ref in refs:
        candidates = columns.get(ref.name, [])
        if ref.table:
            named = [
                c
                for c in candidates
                if ref.table in (c.asset.name.lower(), (c.asset.identifier or "").lower())
            ]
            candidates = named or candidates
        if not candidates:
            where = ", ".join(a.name for a in assets) or "no related model"
            checks.append(
                ColumnCheck(
                    ref.name, ref.table, None, None, False, "", None, f"not found in {where}"
                )
            )
            continue
        column = candidates[0]
        numeric = type_is_numeric(column.data_type)
        compatible = None if numeric is None or not ref.numeric else numeric
        note = ""
        if compatible is False:
            note = f"aggregated as a number but the column is {column.data_type}"
        elif numeric is None:
            note = "type unknown (no catalog.json ingested)"
        checks.append(
            ColumnCheck(
                ref.name, ref.table, column.asset, column, True, column.data_type, compatible, note
            )
        )
    return checks


def formula_columns_resolve(version: MetricVersion, asset_ids: list[int]) -> list[Column]:
    """The catalog columns the formula references that exist in the related models."""
    return [c.column for c in formula_column_checks(version, asset_ids) if c.column is not None]


def column_snapshot(version: MetricVersion) -> dict[str, Any]:
    """Related columns and models as they are now: the drift check compares against this."""
    columns = {
        str(c.pk): {
            "asset_id": c.asset_id,
            "asset": c.asset.name,
            "column": c.name,
            "data_type": c.data_type,
            "family": type_family(c.data_type),
        }
        for c in version.related_columns.select_related("asset")
    }
    assets = {
        str(a.pk): {"name": a.name, "unique_id": a.unique_id} for a in version.related_assets.all()
    }
    return {"columns": columns, "assets": assets}


NOT_AVAILABLE = "no query log has been ingested yet"


def usage_for_assets(assets: list[Asset], *, days: int = 30) -> tuple[list[dict[str, Any]], str]:
    """People who queried these tables in the last ``days`` days, as ``[{user, queries, last_at}]``
    (most active first, from the query-log usage in ``lineage``), and a reason when the list
    is empty because no usage data exists at all."""
    from lineage.models import AssetUsageDay
    from lineage.usage import consumers

    people = [
        {"user": row["user"], "queries": row["queries"], "last_at": row["last_day"]}
        for row in consumers([a.pk for a in assets], days=days)
    ]
    if people or AssetUsageDay.objects.exists():
        return people, ""
    return [], NOT_AVAILABLE


def version_impact(version: MetricVersion) -> dict[str, Any]:
    """Everything a reviewer weighs before approving ``version``:

    ``diff`` against the current approved version, ``columns`` (formula references
    checked against the catalog: exists, type, compatible), ``problems`` (the failing
    checks, as sentences), ``downstream`` (exposures, models, metrics from lineage, per
    related model), ``usage`` / ``usage_reason`` (people who queried the tables)."""
    from lineage.selectors import impact as lineage_impact

    metric = version.metric
    current = (
        metric.current_version
        if metric.current_version_id != version.pk
        else (metric.versions.filter(state=VersionState.SUPERSEDED).order_by("-number").first())
    )
    assets = list(version.related_assets.select_related("project"))
    checks = formula_column_checks(version, [a.pk for a in assets])
    problems = [f"{c.name}: {c.note}" for c in checks if not c.exists or c.compatible is False]
    problems += [
        f"{a.name} was removed from the manifest on {a.removed_at:%Y-%m-%d}"
        for a in assets
        if a.removed_at
    ]
    downstream: list[dict[str, Any]] = []
    seen: set[int] = set()
    for asset in assets:
        for node in lineage_impact(asset, depth=3):
            if node["id"] not in seen:
                seen.add(node["id"])
                downstream.append({**node, "via": asset.name})
    usage, usage_reason = usage_for_assets(assets)
    return {
        "version": version,
        "against": current,
        "diff": version_diff(current, version),
        "columns": checks,
        "problems": problems,
        "related_assets": assets,
        "downstream": downstream,
        "exposures": [n for n in downstream if n["kind"] == AssetKind.EXPOSURE],
        "usage": usage,
        "usage_reason": usage_reason if not usage else "",
        "progress": approval_progress(version),
    }


# ---------------------------------------------------------------------------- change log


def changelog(
    *,
    domain: str = "",
    owner: str = "",
    tier: int | str | None = None,
    kind: str = "",
    limit: int | None = None,
) -> QuerySet[ChangeLogEntry]:
    """Release notes, newest first: approvals, deprecations, retirements (and drift flags
    when ``kind`` asks for them). ``owner`` is a username or a team name."""
    qs = ChangeLogEntry.objects.select_related(
        "metric", "version", "asset", "actor", "deprecation__replacement"
    )
    qs = qs.filter(kind=kind) if kind else qs.exclude(kind=ChangeLogEntry.Kind.NEEDS_ATTENTION)
    if domain:
        qs = qs.filter(domain__iexact=domain)
    if tier not in (None, "") and str(tier).isdigit():
        qs = qs.filter(tier=int(tier))
    if owner:
        qs = qs.filter(
            Q(metric__owners__user__username=owner) | Q(metric__owners__team__name=owner)
        ).distinct()
    qs = qs.order_by("-at", "-id")
    return qs[:limit] if limit else qs


# ---------------------------------------------------------------------------- pages
# Reads added for the metric pages (directory owner filter, discussion, history, lineage tab).


def metric_owner_names() -> list[str]:
    """Usernames and team names that own at least one metric (the directory's owner filter)."""
    rows = MetricOwner.objects.order_by().values_list("user__username", "team__name").distinct()
    return sorted({user or team for user, team in rows if user or team}, key=str.lower)


def metric_comments(metric: Metric):
    return metric.comments.select_related("author", "version").order_by("created_at", "id")


def metric_history(metric: Metric, limit: int = 200) -> list[Any]:
    """Audit events of the metric and of its versions (every transition), newest first."""
    from governance.models import AuditEvent

    version_ids = [str(pk) for pk in metric.versions.values_list("pk", flat=True)]
    events = AuditEvent.objects.filter(
        object_type="metrics_dictionary.metric", object_id=str(metric.pk)
    ) | AuditEvent.objects.filter(
        object_type="metrics_dictionary.metricversion", object_id__in=version_ids
    )
    return list(events.order_by("-at", "-id")[:limit])


def metric_lineage(metric: Metric) -> dict[str, Any]:
    """The models the metric's definition is computed from (its approved version, else the
    newest), each with direct upstream and downstream assets, and the exposures below them."""
    from lineage.selectors import asset_neighbours
    from lineage.selectors import impact as lineage_impact

    version = metric.current_version or metric.versions.order_by("-number").first()
    if version is None:
        return {"version": None, "models": [], "exposures": []}
    models, exposures, seen = [], [], set()
    for asset in version.related_assets.select_related("project").order_by("name"):
        models.append({"asset": asset, **asset_neighbours(asset)})
        for node in lineage_impact(asset, depth=3):
            if node["kind"] == AssetKind.EXPOSURE and node["id"] not in seen:
                seen.add(node["id"])
                exposures.append({**node, "via": asset.name})
    return {"version": version, "models": models, "exposures": exposures}


def metric_ids_owned_by(user) -> QuerySet:
    """Ids of the metrics ``user`` owns directly or through one of their teams ("my metrics")."""
    return (
        MetricOwner.objects.filter(Q(user=user) | Q(team__members=user))
        .order_by()
        .values_list("metric_id", flat=True)
        .distinct()
    )


def input_metrics(version: MetricVersion) -> list[tuple[str, Metric | None]]:
    """The metrics a ratio or derived version is built from, by the names its parameters use,
    each with the dictionary metric of that name (slug, name or dbt metric name) when there is
    one."""
    params = version.type_params or {}
    refs = [params.get("numerator"), params.get("denominator"), *(params.get("metrics") or [])]
    names = [r.get("name") if isinstance(r, dict) else r for r in refs]
    names = list(dict.fromkeys(n for n in names if isinstance(n, str) and n))
    if not names:
        return []
    wanted = Q(slug__in=names) | Q(name__in=names)
    for name in names:
        wanted |= Q(dbt_unique_id__endswith=f".{name}")
    found: dict[str, Metric] = {}
    for metric in Metric.objects.filter(wanted).only("slug", "name", "dbt_unique_id", "status"):
        for key in (metric.slug, metric.name, metric.dbt_unique_id.rsplit(".", 1)[-1]):
            found.setdefault(key, metric)
    return [(name, found.get(name)) for name in names]


# ---------------------------------------------------------------------------- webhooks


def webhooks_list() -> QuerySet:
    """Every webhook with its creator, its newest delivery (``last_status``, ``last_created_at``,
    ``last_delivered_at``) and its failed deliveries of the last 7 days (``failed_7d``), in
    one query however many webhooks there are."""
    last = WebhookDelivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at", "-id")
    week_ago = timezone.now() - timedelta(days=7)
    return (
        Webhook.objects.select_related("created_by")
        .annotate(
            last_status=Subquery(last.values("status")[:1]),
            last_created_at=Subquery(last.values("created_at")[:1]),
            last_delivered_at=Subquery(last.values("delivered_at")[:1]),
            failed_7d=Count(
                "deliveries",
                filter=Q(
                    deliveries__status=WebhookDelivery.Status.FAILED,
                    deliveries__created_at__gte=week_ago,
                ),
            ),
        )
        .order_by("name", "id")
    )


def webhook_deliveries(webhook: Webhook) -> QuerySet:
    """The deliveries of one webhook, newest first."""
    return WebhookDelivery.objects.filter(webhook=webhook).order_by("-created_at", "-id")
