"""dbt's semantic layer -> dictionary metrics marked "defined in dbt".

Runs in the post-ingest hook, from the catalog rows the ingest just wrote: metric assets
keep ``type``, ``type_params``, ``filter`` (v10+) or ``expression``/``calculation_method``,
``model``, ``filters``, ``time_grains`` (legacy v4-v9) in ``details``; semantic-model
assets keep their measures, entities and dimensions, and depend on their dbt model.

- A metric seen for the first time becomes a dictionary metric with version 1 approved
  as imported (its definition already went through the dbt project's code review);
  its formula is expanded to SQL over the model's columns (measures' expressions and
  aggregations), its related model and columns filled.
- A later ingest that changes the definition creates a new version **in review**
  (proposed by "dbt"); the approved version is never touched. An older dbt proposal
  still in review is replaced (rejected, audited) by the newer one.
- Unchanged definitions (same digest) write nothing.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from sqlglot import exp

from catalog.dbt.extract import digest
from catalog.models import Asset, AssetKind, IngestRun, Project
from governance.services import audit_record
from lexicon_core.tiers import TIERS, Tier
from metrics_dictionary.errors import DefinitionInvalid
from metrics_dictionary.models import (
    Metric,
    MetricOwner,
    MetricStatus,
    MetricType,
    MetricVersion,
    OwnerType,
    VersionState,
)
from metrics_dictionary.services._common import notify_after_commit
from metrics_dictionary.services.definitions import definition_clean
from metrics_dictionary.services.formula import parse_expressions
from metrics_dictionary.services.proposals import write_definition
from metrics_dictionary.services.reviews import publish

logger = logging.getLogger(__name__)

AGGREGATIONS = {
    "sum": "SUM({})",
    "count": "COUNT({})",
    "count_distinct": "COUNT(DISTINCT {})",
    "average": "AVG({})",
    "avg": "AVG({})",
    "min": "MIN({})",
    "max": "MAX({})",
    "median": "MEDIAN({})",
    "sum_boolean": "SUM(CASE WHEN {} THEN 1 ELSE 0 END)",
}
LEGACY_SIMPLE = {"count", "count_distinct", "sum", "average", "min", "max", "median"}
_REF_RE = re.compile(r"""ref\(\s*['"]([^'"]+)['"]""")


@dataclass
class Measure:
    name: str
    agg: str
    expr: str
    model_ids: list[int]
    entity: str = ""
    dimensions: list[str] = field(default_factory=list)
    agg_params: dict[str, Any] | None = None

    def sql(self) -> str:
        column = self.expr or self.name
        if self.agg == "percentile":
            p = (self.agg_params or {}).get("percentile") or 0.5
            return f"PERCENTILE_CONT({p}) WITHIN GROUP (ORDER BY {column})"
        return AGGREGATIONS.get(self.agg, f"{self.agg.upper()}({{}})").format(column)


class _Resolver:
    """Expands metric definitions of one project into SQL over model columns."""

    def __init__(self, project: Project) -> None:
        self.project = project
        assets = list(
            Asset.objects.filter(
                project=project,
                removed_at__isnull=True,
                kind__in=[AssetKind.METRIC, AssetKind.SEMANTIC_MODEL, AssetKind.MODEL],
            ).only(
                "id",
                "unique_id",
                "kind",
                "name",
                "details",
                "depends_on",
                "label",
                "description",
                "meta",
                "group",
                "dbt_owners",
                "dbt_tier",
                "tags",
            )
        )
        self.model_ids = {a.unique_id: a.pk for a in assets if a.kind == AssetKind.MODEL}
        self.model_by_name = {a.name: a.pk for a in assets if a.kind == AssetKind.MODEL}
        self.metrics = {a.name: a for a in assets if a.kind == AssetKind.METRIC}
        self.measures: dict[str, Measure] = {}
        # semantic model name -> (model ids, primary entity, dimension names)
        self.semantic: dict[str, tuple[list[int], str, list[str]]] = {}
        for sm in (a for a in assets if a.kind == AssetKind.SEMANTIC_MODEL):
            details = sm.details or {}
            models = [self.model_ids[u] for u in sm.depends_on or [] if u in self.model_ids]
            if not models and (match := _REF_RE.search(details.get("model") or "")):
                models = (
                    [self.model_by_name[match.group(1)]]
                    if match.group(1) in self.model_by_name
                    else []
                )
            entity = (
                details.get("primary_entity")
                or next(
                    (
                        e.get("name")
                        for e in details.get("entities") or []
                        if e.get("type") == "primary"
                    ),
                    "",
                )
                or ""
            )
            dimensions = [d.get("name") for d in details.get("dimensions") or [] if d.get("name")]
            self.semantic[sm.name] = (models, entity, dimensions)
            for m in details.get("measures") or []:
                if m.get("name"):
                    self.measures[m["name"]] = Measure(
                        m["name"],
                        (m.get("agg") or "sum").lower(),
                        m.get("expr") or "",
                        models,
                        entity,
                        dimensions,
                        m.get("agg_params"),
                    )

    def measure(self, ref: Any) -> Measure | None:
        name = ref.get("name") if isinstance(ref, dict) else ref
        return self.measures.get(name) if isinstance(name, str) else None

    def inline_measure(self, metric: Asset, params: dict[str, Any]) -> Measure | None:
        """dbt 1.12+ simple metrics without a measure: ``expr`` + ``metric_aggregation_params``."""
        agg = params.get("metric_aggregation_params")
        if not isinstance(agg, dict) or not agg.get("agg"):
            return None
        models, entity, dimensions = self.semantic.get(
            agg.get("semantic_model") or "", ([], "", [])
        )
        return Measure(
            metric.name,
            str(agg["agg"]).lower(),
            params.get("expr") or "",
            models,
            entity,
            dimensions,
            agg.get("agg_params"),
        )

    def formula(self, metric: Asset, depth: int = 0) -> tuple[str, list[Measure]]:
        """SQL of a metric over model columns, and the measures it uses."""
        if depth > 8:
            return metric.name, []
        d = metric.details or {}
        kind = (d.get("type") or "").lower()
        params = d.get("type_params") or {}
        if kind in LEGACY_SIMPLE:
            expression = d.get("expression") or "*"
            return AGGREGATIONS.get(kind, "{}").format(expression), []
        if kind in ("derived", "expression") and not params:
            return d.get("expression") or "", []
        if kind in ("simple", "cumulative"):
            measure = (
                self.measure(params.get("measure"))
                or self.measure((params.get("input_measures") or [None])[0])
                or self.inline_measure(metric, params)
            )
            if measure is None and kind == "cumulative":
                inner = (params.get("cumulative_type_params") or {}).get("metric")
                if inner:
                    return self._input(inner, depth)
            return (measure.sql(), [measure]) if measure else (metric.name, [])
        if kind == "ratio":
            num, num_measures = self._input(params.get("numerator"), depth)
            den, den_measures = self._input(params.get("denominator"), depth)
            return f"({num}) / NULLIF({den}, 0)", num_measures + den_measures
        if kind == "derived":
            return self._derived(params, depth)
        if kind == "conversion":
            conv = params.get("conversion_type_params") or {}
            base, conversion = (
                self.measure(conv.get("base_measure")),
                self.measure(conv.get("conversion_measure")),
            )
            if not (base and conversion):
                return metric.name, []
            if conv.get("calculation") == "conversions":
                return conversion.sql(), [base, conversion]
            return f"({conversion.sql()}) / NULLIF({base.sql()}, 0)", [base, conversion]
        return d.get("expression") or "", []

    def _input(self, ref: Any, depth: int) -> tuple[str, list[Measure]]:
        name = ref.get("name") if isinstance(ref, dict) else ref
        target = self.metrics.get(name or "")
        if target is None:
            return str(name), []
        return self.formula(target, depth + 1)

    def _derived(self, params: dict[str, Any], depth: int) -> tuple[str, list[Measure]]:
        expr_sql = params.get("expr") or ""
        replacements: dict[str, str] = {}
        measures: list[Measure] = []
        for ref in params.get("metrics") or []:
            name = ref.get("name") if isinstance(ref, dict) else ref
            alias = (ref.get("alias") if isinstance(ref, dict) else None) or name
            sql, used = self._input(ref, depth)
            if isinstance(ref, dict) and ref.get("offset_window"):
                sql = f"{sql} /* offset {self._window(ref['offset_window'])} */"
            replacements[str(alias).lower()] = sql
            measures += used
        try:
            tree = parse_expressions(expr_sql)[0]
        except ValueError:
            return expr_sql, measures

        def swap(node: exp.Expression) -> exp.Expression:
            if (
                isinstance(node, exp.Column)
                and not node.table
                and node.name.lower() in replacements
            ):
                return exp.Paren(
                    this=exp.maybe_parse(replacements[node.name.lower()].split(" /*")[0])
                )
            return node

        try:
            return tree.transform(swap).sql(), measures
        except Exception:  # noqa: BLE001
            # An odd expression keeps its dbt text rather than failing an ingest.
            return expr_sql, measures

    @staticmethod
    def _window(window: Any) -> str:
        if isinstance(window, dict) and window.get("count"):
            granularity = window.get("granularity") or "day"
            return f"{window['count']} {granularity}{'s' if window['count'] != 1 else ''}"
        return str(window) if window else ""


def _name(ref: Any) -> Any:
    if isinstance(ref, dict):
        keep = {
            k: v
            for k, v in ref.items()
            if k in ("name", "alias", "filter", "offset_window", "offset_to_grain")
            and v not in (None, "", [], {})
        }
        return keep if len(keep) > 1 else ref.get("name")
    return ref


def _type_params(kind: str, params: dict[str, Any], resolver: _Resolver) -> dict[str, Any]:
    """MetricFlow type parameters, reduced to what the dictionary validates and shows."""
    if kind == MetricType.SIMPLE:
        measure = params.get("measure") or {}
        out = {"measure": _name(measure)} if measure else {}
        agg = params.get("metric_aggregation_params") or {}
        if not measure and agg.get("agg"):
            out = {"agg": agg["agg"], "semantic_model": agg.get("semantic_model") or ""}
            if params.get("expr"):
                out["expr"] = params["expr"]
        if isinstance(measure, dict):
            if measure.get("fill_nulls_with") is not None:
                out["fill_nulls_with"] = measure["fill_nulls_with"]
            if measure.get("join_to_timespine"):
                out["join_to_timespine"] = True
        return out
    if kind == MetricType.RATIO:
        return {
            "numerator": _name(params.get("numerator")),
            "denominator": _name(params.get("denominator")),
        }
    if kind == MetricType.CUMULATIVE:
        cumulative = params.get("cumulative_type_params") or {}
        if params.get("measure"):
            out = {"measure": _name(params["measure"])}
        elif cumulative.get("metric"):
            out = {"metric": _name(cumulative["metric"])}  # dbt 1.12+: cumulative over a metric
        else:
            out = {}
        window = cumulative.get("window") or params.get("window")
        grain = cumulative.get("grain_to_date") or params.get("grain_to_date")
        if window:
            out["window"] = resolver._window(window)
        elif grain:
            out["grain_to_date"] = grain
        if cumulative.get("period_agg"):
            out["period_agg"] = cumulative["period_agg"]
        return out
    if kind == MetricType.DERIVED:
        return {
            "expr": params.get("expr") or "",
            "metrics": [_name(m) for m in params.get("metrics") or []],
        }
    if kind == MetricType.CONVERSION:
        conv = dict(params.get("conversion_type_params") or {})
        out = {k: v for k, v in conv.items() if v not in (None, "", [], {})}
        for key in ("base_measure", "conversion_measure"):
            if key in out:
                out[key] = _name(out[key])
        if out.get("window"):
            out["window"] = resolver._window(out["window"])
        return {"conversion_type_params": out}
    return {}


def _filters(details: dict[str, Any]) -> list[str]:
    out: list[str] = []
    flt = details.get("filter")
    if isinstance(flt, dict):
        out += [
            w.get("where_sql_template", "")
            for w in flt.get("where_filters") or []
            if isinstance(w, dict)
        ]
    elif isinstance(flt, str) and flt:
        out.append(flt)
    for f in details.get("filters") or []:  # legacy: {field, operator, value}
        if isinstance(f, dict) and f.get("field"):
            out.append(f"{f['field']} {f.get('operator', '=')} {f.get('value', '')}".strip())
    return [f for f in out if f]


def definition_from_dbt(metric: Asset, resolver: _Resolver) -> dict[str, Any]:
    """The dictionary definition of one dbt metric asset (v10+ or legacy)."""
    d = metric.details or {}
    raw_type = (d.get("type") or "").lower()
    params = d.get("type_params") or {}
    formula, measures = resolver.formula(metric)
    if raw_type in MetricType.values:
        kind = raw_type
        type_params = _type_params(kind, params, resolver)
    elif raw_type in LEGACY_SIMPLE:
        kind, type_params = MetricType.SIMPLE, {}
    else:  # legacy derived / expression metrics
        inputs = [u.split(".")[-1] for u in metric.depends_on or [] if u.startswith("metric.")]
        if inputs:
            kind, type_params = (
                MetricType.DERIVED,
                {"expr": d.get("expression") or "", "metrics": inputs},
            )
        else:
            kind, type_params = MetricType.SIMPLE, {}
    model_ids = sorted({pk for m in measures for pk in m.model_ids})
    if not model_ids:
        model_ids = sorted(
            {resolver.model_ids[u] for u in metric.depends_on or [] if u in resolver.model_ids}
        )
        if not model_ids and (match := _REF_RE.search(d.get("model") or "")):
            model_ids = (
                [resolver.model_by_name[match.group(1)]]
                if match.group(1) in resolver.model_by_name
                else []
            )
    grains = [g for g in (d.get("time_grains") or []) if isinstance(g, str)]
    if d.get("time_granularity"):
        grains.append(d["time_granularity"])
    dimensions = [
        x if isinstance(x, str) else str(x.get("name", "")) for x in d.get("dimensions") or []
    ]
    if not dimensions:
        dimensions = sorted({dim for m in measures for dim in m.dimensions})
    entity = next((m.entity for m in measures if m.entity), "")
    return {
        "label": (metric.label or metric.name)[:200],
        "description": metric.description,
        "formula": formula if formula != metric.name else "",
        "metric_type": kind,
        "type_params": type_params,
        "time_grains": [
            g.lower() for g in grains if g.lower() in ("day", "week", "month", "quarter", "year")
        ],
        "entity_grain": entity,
        "dimensions": [x for x in dimensions if x],
        "filters": _filters(d),
        "unit": str((metric.meta or {}).get("unit", ""))[:50],
        "format": str((metric.meta or {}).get("format", ""))[:50],
        "caveats": str((metric.meta or {}).get("caveats", "")),
        "example_query": f"dbt sl query --metrics {metric.name} --group-by metric_time"
        + (f"__{grains[0].lower()}" if grains else ""),
        "change_summary": "",
        "related_asset_ids": model_ids,
        "related_column_ids": [],
    }


def _tier(asset: Asset) -> int:
    return asset.dbt_tier if asset.dbt_tier in TIERS else Tier.TIER_3


def _owners(metric: Metric, asset: Asset) -> None:
    """dbt's owners (meta.owner, group owner) matched to active users by email or username."""
    from governance.selectors import owners_from_names

    names = [str(o) for o in asset.dbt_owners or []]
    users = owners_from_names(names, teams=False, emails=True).users
    if not users:
        return
    MetricOwner.objects.bulk_create(
        [MetricOwner(metric=metric, user=u, owner_type=OwnerType.TECHNICAL) for u in users],
        ignore_conflicts=True,
    )


def _clean(definition: dict[str, Any], warnings: list[str], name: str) -> dict[str, Any]:
    try:
        return definition_clean(definition)
    except DefinitionInvalid as exc:
        # dbt accepted it; keep what dbt says and tell the admin what we could not check.
        warnings.append(f"metric {name}: stored as given by dbt, but {exc.message}")
        return {**definition, "label": definition["label"] or name}


def _unique_slug(name: str) -> str:
    base = slugify(name.replace("_", "-"))[:100] or "metric"
    slug, n = base, 2
    while Metric.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _write_version(
    metric: Metric, number: int, clean: dict[str, Any], dbt_digest: str, state: str
) -> MetricVersion:
    version = MetricVersion(
        metric=metric, number=number, source="dbt", dbt_digest=dbt_digest, label=clean["label"]
    )
    write_definition(version, clean)
    if state != VersionState.DRAFT:
        MetricVersion.objects.filter(pk=version.pk).update(
            state=state,
            submitted_at=timezone.now(),
            review_round=1,
            base_version=metric.current_version_id,
        )
        version.refresh_from_db()
    return version


def dbt_metrics_import(
    *, project: Project, run: IngestRun | None = None, warnings_out: list[str] | None = None
) -> int:
    """Create or update dictionary metrics from the project's dbt metrics. Returns how many
    metrics were created or got a new version. Called inside the ingest transaction;
    problems go to ``warnings_out`` (the ingest run's warnings)."""
    resolver = _Resolver(project)
    if not resolver.metrics:
        return 0
    warnings: list[str] = []
    existing = {
        m.dbt_unique_id: m
        for m in Metric.objects.filter(defined_in_dbt=True, asset__project=project)
    }
    written = 0
    for asset in sorted(resolver.metrics.values(), key=lambda a: a.name):
        definition = definition_from_dbt(asset, resolver)
        dbt_digest = digest(
            json.dumps(
                {k: v for k, v in definition.items() if k != "related_column_ids"},
                sort_keys=True,
                default=str,
            )
        )
        metric = existing.get(asset.unique_id)
        if metric is None:
            clean = _clean(definition, warnings, asset.name)
            metric = Metric.objects.create(
                slug=_unique_slug(asset.name),
                name=(asset.label or asset.name)[:200],
                tier=_tier(asset),
                domain=str((asset.meta or {}).get("domain") or asset.group or "")[:100],
                defined_in_dbt=True,
                dbt_unique_id=asset.unique_id,
                asset=asset,
                status=MetricStatus.DRAFT,
            )
            _owners(metric, asset)
            clean["change_summary"] = clean.get("change_summary") or "Imported from dbt."
            version = _write_version(metric, 1, clean, dbt_digest, VersionState.IN_REVIEW)
            audit_record(
                actor=None,
                action="metric.import",
                obj=metric,
                after={"dbt_unique_id": asset.unique_id, "run": run.pk if run else None},
            )
            publish(metric, version, None)
            written += 1
            continue
        latest = metric.versions.filter(source="dbt").order_by("-number").first()
        if latest is not None and latest.dbt_digest == dbt_digest:
            continue
        if metric.status == MetricStatus.RETIRED:
            warnings.append(
                f"metric {asset.name} changed in dbt but is retired in Lexicon; not imported"
            )
            continue
        metric = Metric.objects.select_for_update().get(pk=metric.pk)
        for stale in metric.versions.filter(source="dbt", state=VersionState.IN_REVIEW):
            MetricVersion.objects.filter(pk=stale.pk).update(
                state=VersionState.REJECTED, decided_at=timezone.now()
            )
            audit_record(
                actor=None,
                action="metric_version.replaced_by_dbt",
                obj=stale,
                before={"state": VersionState.IN_REVIEW},
                after={"state": VersionState.REJECTED},
            )
        clean = _clean(definition, warnings, asset.name)
        clean["change_summary"] = (
            f"Changed in dbt (ingest run #{run.pk})." if run else "Changed in dbt."
        )
        number = (metric.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = _write_version(metric, number, clean, dbt_digest, VersionState.IN_REVIEW)
        audit_record(
            actor=None,
            action="metric_version.propose",
            obj=version,
            after={"source": "dbt", "run": run.pk if run else None},
        )
        notify_after_commit("review_requested", version.pk)
        written += 1
    if warnings_out is not None:
        warnings_out.extend(warnings)
    return written
