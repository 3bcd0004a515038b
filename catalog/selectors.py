"""Reads of the catalog that join, aggregate or prefetch."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from catalog.models import Asset, AssetKind, IngestRun, Project
from lexicon_core.tiers import tier_label


@dataclass
class CatalogOverview:
    projects: int
    assets_by_kind: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, label, count)
    removed: int = 0
    recent_runs: list[IngestRun] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.assets_by_kind

    @property
    def total_assets(self) -> int:
        return sum(n for _kind, _label, n in self.assets_by_kind)


def catalog_overview() -> CatalogOverview:
    counts = (
        Asset.objects.filter(removed_at__isnull=True)
        .values("kind")
        .annotate(n=Count("id"))
        .order_by("kind")
    )
    labels = dict(AssetKind.choices)
    return CatalogOverview(
        projects=Project.objects.count(),
        assets_by_kind=[
            (row["kind"], labels.get(row["kind"], row["kind"]), row["n"]) for row in counts
        ],
        removed=Asset.objects.filter(removed_at__isnull=False).count(),
        recent_runs=list(IngestRun.objects.select_related("project")[:5]),
    )


def latest_status_by(results: QuerySet, key: str) -> dict[int, str]:
    """The status of the newest result per ``key`` (``asset_id``, ``test_id``) among ``results``
    (run results or freshness results)."""
    latest: dict[int, str] = {}
    for value, status in results.order_by(key, "-generated_at", "-id").values_list(key, "status"):
        latest.setdefault(value, status)
    return latest


class SearchResultsPage:
    """A page of ranked search results, shaped like a Django ``Page`` for templates."""

    def __init__(
        self,
        items: list[Asset],
        number: int,
        per_page: int,
        total: int,
        corrected: str | None,
        facet_counts: dict | None = None,
        capped: bool = False,
    ):
        self.object_list = items
        self.facet_counts = facet_counts or {}
        self.capped = capped
        self.number = number
        self.corrected = corrected
        self.paginator = type(
            "P", (), {"count": total, "num_pages": max(1, math.ceil(total / per_page))}
        )()

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.paginator.num_pages

    def has_other_pages(self) -> bool:
        return self.has_previous() or self.has_next()

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def assets_search(
    query: str,
    *,
    page: int = 1,
    per_page: int = 25,
    candidates: QuerySet[Asset] | None = None,
    include_removed: bool = True,
) -> SearchResultsPage:
    """Ranked search over assets (names, descriptions, column names, tags), with facet counts."""
    from catalog.search import search_asset_ids

    page = max(1, page)
    result = search_asset_ids(
        query,
        candidates,
        limit=per_page,
        offset=(page - 1) * per_page,
        include_removed=include_removed,
    )
    by_id = Asset.objects.select_related("project", "search_document").in_bulk(result.asset_ids)
    items = [by_id[i] for i in result.asset_ids if i in by_id]
    return SearchResultsPage(
        items, page, per_page, result.total, result.corrected, result.facets, result.capped
    )


def ingest_run_progress(run: IngestRun) -> dict:
    """Phase and percent: live from the cache while running, from the row afterwards."""
    from catalog.progress import progress_get

    if run.status == IngestRun.Status.RUNNING:
        live = progress_get(run.pk)
        if live:
            return {"phase": live["phase"], "percent": live["percent"]}
    percent = 100 if run.is_finished else run.progress
    return {"phase": run.phase, "percent": percent}


@dataclass
class Facet:
    key: str
    label: str
    values: list[tuple[str, str, int]]  # (value, label, count)
    links: list[tuple[str, int, str, bool]] = field(
        default_factory=list
    )  # (label, count, query string, active)


def facet_links(facets: list[Facet], params) -> list[Facet]:
    """Give each facet value the query string that toggles it (page reset) and whether it
    is on, computed once here rather than twice per value in the template."""
    base = params.copy()
    base.pop("page", None)
    for facet in facets:
        chosen = base.getlist(facet.key)
        for value, label, count in facet.values:
            value = str(value)
            toggled = base.copy()
            toggled.setlist(
                facet.key,
                [v for v in chosen if v != value] if value in chosen else [*chosen, value],
            )
            facet.links.append((label, count, "?" + toggled.urlencode(), value in chosen))
    return facets


def search_facets(counts: dict[str, Counter], *, top: int = 12) -> list[Facet]:
    """Facets with labels, from the counts a search returned (``SearchPage.facets``)."""

    def most(key: str) -> list[tuple]:
        return sorted(counts.get(key, {}).items(), key=lambda item: (-item[1], str(item[0])))[:top]

    kinds = dict(AssetKind.choices)
    projects = dict(
        Project.objects.filter(pk__in=list(counts.get("project", {}))).values_list("id", "name")
    )
    labels = {"pass": "Fresh", "warn": "Warn", "error": "Stale"}
    facets = [
        Facet("kind", "Kind", [(k, kinds.get(k, k), n) for k, n in most("kind")]),
        Facet(
            "project", "Project", [(str(p), projects.get(p, "?"), n) for p, n in most("project")]
        ),
        Facet(
            "schema",
            "Schema",
            [
                (schema, f"{database}.{schema}" if database else schema, n)
                for (database, schema), n in most("schema")
            ],
        ),
        Facet(
            "tier",
            "Tier",
            [(str(t), tier_label(t), n) for t, n in sorted(counts.get("tier", {}).items())],
        ),
        Facet("owner", "Owner", [(o, o, n) for o, n in most("owner")]),
        Facet("tag", "Tag", [(t, t, n) for t, n in most("tag")]),
        Facet("has_pii", "PII", [("true", "Has PII columns", n) for _v, n in most("has_pii")]),
        Facet(
            "freshness",
            "Freshness",
            [(k, labels.get(k, k), n) for k, n in sorted(counts.get("freshness", {}).items())],
        ),
        Facet(
            "deprecated", "Deprecated", [("true", "Deprecated", n) for _v, n in most("deprecated")]
        ),
    ]
    return [f for f in facets if f.values]


def asset_header(asset: Asset) -> dict:
    """Badges for the asset page header: PII, freshness, last run, test pass/fail."""
    from catalog.models import DataTest, NodeRunResult, SourceFreshnessResult

    pii_columns = asset.columns.filter(removed_at__isnull=True).exclude(dbt_pii="").count()
    freshness = (
        SourceFreshnessResult.objects.filter(asset=asset).order_by("-generated_at", "-id").first()
    )
    last_run = NodeRunResult.objects.filter(asset=asset).order_by("-generated_at", "-id").first()
    tests = DataTest.objects.filter(asset=asset, removed_at__isnull=True)
    statuses = list(
        latest_status_by(NodeRunResult.objects.filter(test__in=tests), "test_id").values()
    )
    from catalog.models import SearchDocument

    return {
        "deprecated": SearchDocument.objects.filter(asset=asset, deprecated=True).exists(),
        "sla": freshness_vs_sla(asset, freshness, last_run),
        "pii_columns": pii_columns,
        "freshness": freshness,
        "last_run": last_run,
        "tests_total": tests.count(),
        "tests_passed": sum(s == "pass" for s in statuses),
        "tests_failed": sum(s in ("fail", "error") for s in statuses),
        "tests_warned": sum(s == "warn" for s in statuses),
    }


def asset_columns(asset: Asset, text: str = "") -> list:
    from catalog.models import DataTest

    columns = list(asset.columns.filter(removed_at__isnull=True).order_by("position", "name"))
    if text:
        needle = text.lower()
        columns = [c for c in columns if needle in c.name_key or needle in c.description.lower()]
    tests_by_column: dict[str, list[str]] = {}
    for column_name, test_name in (
        DataTest.objects.filter(asset=asset, removed_at__isnull=True)
        .exclude(column_name="")
        .values_list("column_name", "test_name")
    ):
        tests_by_column.setdefault(column_name.lower(), []).append(test_name or "test")
    for column in columns:
        column.test_names = sorted(tests_by_column.get(column.name_key, []))
    return columns


def asset_quality(asset: Asset, history: int = 10) -> list:
    """Tests of the asset with their latest results, newest first."""
    from catalog.models import DataTest, NodeRunResult

    tests = list(
        DataTest.objects.filter(asset=asset, removed_at__isnull=True).order_by(
            "column_name", "name"
        )
    )
    results: dict[int, list] = {}
    for result in NodeRunResult.objects.filter(test__in=tests).order_by("-generated_at", "-id"):
        bucket = results.setdefault(result.test_id, [])
        if len(bucket) < history:
            bucket.append(result)
    for test in tests:
        test.recent_results = results.get(test.pk, [])
    return tests


def catalog_tree() -> list[dict]:
    """Project → database → schema with active asset counts, for the browse page."""
    rows = (
        Asset.objects.filter(removed_at__isnull=True)
        .values("project_id", "project__name", "database", "schema")
        .annotate(n=Count("id"))
        .order_by("project__name", "database", "schema")
    )
    projects: dict[int, dict] = {}
    for row in rows:
        project = projects.setdefault(
            row["project_id"],
            {"id": row["project_id"], "name": row["project__name"], "count": 0, "databases": {}},
        )
        project["count"] += row["n"]
        database = project["databases"].setdefault(
            row["database"] or "—", {"count": 0, "schemas": []}
        )
        database["count"] += row["n"]
        database["schemas"].append((row["database"], row["schema"] or "—", row["n"]))
    return list(projects.values())


def recent_changes() -> QuerySet:
    from catalog.models import AssetChange

    return AssetChange.objects.select_related("asset__project", "ingest_run").order_by(
        "-created_at", "-id"
    )


def freshness_sla_hours(assets: list[Asset]) -> dict[int, int | None]:
    """Asset id -> the freshness SLA in hours (None: no promise). The app that registered the
    ``freshness_sla`` provider answers (governance: the effective tier's policy); without one,
    ``LEXICON_TIER_FRESHNESS_SLA_HOURS`` by dbt's tier. One batch for all of ``assets``."""
    from django.conf import settings

    from lexicon_core.extensions import provider

    answer = provider("freshness_sla")
    if answer is not None:
        return answer(assets)
    return {a.pk: settings.LEXICON_TIER_FRESHNESS_SLA_HOURS.get(a.dbt_tier or 0) for a in assets}


def freshness_vs_sla(asset: Asset, freshness=None, last_run=None, *, sla_hours=...) -> dict | None:
    """How old the asset's data is against its tier's SLA: the source's max_loaded_at, or
    the model's last successful run. None when there is no SLA or no timestamp.
    ``sla_hours``, when the caller has it (batched), saves asking for it."""
    from django.utils import timezone

    loaded = None
    if freshness is not None and freshness.max_loaded_at:
        loaded = freshness.max_loaded_at
    elif last_run is not None and last_run.status in ("success", "pass") and last_run.completed_at:
        loaded = last_run.completed_at
    if loaded is None:
        return None
    hours = freshness_sla_hours([asset]).get(asset.pk) if sla_hours is ... else sla_hours
    if not hours:
        return None
    age_hours = (timezone.now() - loaded).total_seconds() / 3600
    return {"age_hours": age_hours, "sla_hours": hours, "ok": age_hours <= hours, "at": loaded}
