"""Validation of a metric definition (a version's content), field by field.

``definition_clean(data)`` returns the cleaned fields or raises ``DefinitionInvalid`` whose
``errors`` map each field to messages; the propose form validates live with it and the
API returns the same errors. MetricFlow's type parameters are checked per type.
"""

from __future__ import annotations

import re
from typing import Any

from catalog.models import Asset, Column
from metrics_dictionary.errors import DefinitionInvalid
from metrics_dictionary.models import CONTENT_FIELDS, MetricType
from metrics_dictionary.services.formula import formula_parse_error

GRAINS = ("day", "week", "month", "quarter", "year")
_WINDOW_RE = re.compile(r"^\s*\d+\s+(day|week|month|quarter|year)s?\s*$", re.IGNORECASE)
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Keys each MetricFlow type accepts in ``type_params`` (anything else is refused by name).
TYPE_PARAM_KEYS: dict[str, set[str]] = {
    # dbt 1.12+ also defines simple metrics without a measure: agg + expr on a semantic model.
    MetricType.SIMPLE: {
        "measure",
        "fill_nulls_with",
        "join_to_timespine",
        "agg",
        "expr",
        "semantic_model",
    },
    MetricType.RATIO: {"numerator", "denominator"},
    MetricType.CUMULATIVE: {"measure", "metric", "window", "grain_to_date", "period_agg"},
    MetricType.DERIVED: {"expr", "metrics"},
    MetricType.CONVERSION: {"conversion_type_params"},
}
CONVERSION_KEYS = {
    "base_measure",
    "conversion_measure",
    "entity",
    "calculation",
    "window",
    "constant_properties",
}

LIST_FIELDS = ("time_grains", "dimensions", "filters")
# The definition's plain-text fields, in CONTENT_FIELDS order.
TEXT_FIELDS = tuple(f for f in CONTENT_FIELDS if f not in LIST_FIELDS and f != "type_params")
TEXT_LIMITS = {"label": 200, "entity_grain": 200, "unit": 50, "format": 50}


def _name_of(value: Any) -> str | None:
    """A measure or metric reference: ``"name"`` or ``{"name": ...}``."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, dict) and isinstance(value.get("name"), str) and value["name"].strip():
        return value["name"].strip()
    return None


def type_params_errors(metric_type: str, params: Any, *, formula: str = "") -> list[str]:
    """Problems with ``params`` for ``metric_type``; empty when valid."""
    if metric_type not in MetricType.values:
        return [f"unknown metric type {metric_type!r}; use one of {', '.join(MetricType.values)}"]
    if params in (None, ""):
        params = {}
    if not isinstance(params, dict):
        return ["type parameters must be an object (JSON)"]
    errors = []
    unknown = set(params) - TYPE_PARAM_KEYS[metric_type]
    if unknown:
        errors.append(
            f"{', '.join(sorted(unknown))} not allowed for a {metric_type} metric; allowed: "
            f"{', '.join(sorted(TYPE_PARAM_KEYS[metric_type]))}"
        )
    if metric_type == MetricType.SIMPLE:
        if "measure" in params and _name_of(params["measure"]) is None:
            errors.append("measure must be a measure name")
        if not params.get("measure") and not params.get("agg") and not formula.strip():
            errors.append("a simple metric needs a measure or a formula")
    elif metric_type == MetricType.RATIO:
        for key in ("numerator", "denominator"):
            if _name_of(params.get(key)) is None:
                errors.append(f"a ratio metric needs a {key} (a metric name)")
    elif metric_type == MetricType.CUMULATIVE:
        if not params.get("measure") and not params.get("metric") and not formula.strip():
            errors.append("a cumulative metric needs a measure, an input metric or a formula")
        if params.get("metric") and _name_of(params["metric"]) is None:
            errors.append("metric must be a metric name")
        if params.get("measure") and _name_of(params["measure"]) is None:
            errors.append("measure must be a measure name")
        window, grain = params.get("window"), params.get("grain_to_date")
        if window and grain:
            errors.append("give a window or a grain_to_date, not both")
        if window and not (isinstance(window, str) and _WINDOW_RE.match(window)):
            errors.append(f"window {window!r} is not like '7 days' or '12 months'")
        if grain and grain not in GRAINS:
            errors.append(f"grain_to_date {grain!r} is not one of {', '.join(GRAINS)}")
    elif metric_type == MetricType.DERIVED:
        if not (isinstance(params.get("expr"), str) and params["expr"].strip()):
            errors.append("a derived metric needs an expr over its input metrics")
        inputs = params.get("metrics")
        if not isinstance(inputs, list) or not inputs:
            errors.append("a derived metric needs a list of input metrics")
        elif any(_name_of(m) is None for m in inputs):
            errors.append("each input metric needs a name")
        elif isinstance(params.get("expr"), str) and (
            problem := formula_parse_error(params["expr"])
        ):
            errors.append(f"expr: {problem}")
    elif metric_type == MetricType.CONVERSION:
        conv = params.get("conversion_type_params")
        if not isinstance(conv, dict):
            errors.append(
                "a conversion metric needs conversion_type_params "
                "(base_measure, conversion_measure, entity)"
            )
        else:
            unknown = set(conv) - CONVERSION_KEYS
            if unknown:
                errors.append(f"conversion_type_params: {', '.join(sorted(unknown))} not allowed")
            for key in ("base_measure", "conversion_measure"):
                if _name_of(conv.get(key)) is None:
                    errors.append(f"conversion_type_params needs a {key}")
            if not (isinstance(conv.get("entity"), str) and conv["entity"].strip()):
                errors.append("conversion_type_params needs an entity")
            if conv.get("calculation") not in (None, "conversion_rate", "conversions"):
                errors.append("calculation must be conversion_rate or conversions")
            if conv.get("window") and not (
                isinstance(conv["window"], str) and _WINDOW_RE.match(conv["window"])
            ):
                errors.append(f"window {conv['window']!r} is not like '7 days'")
    return errors


def _string_list(value: Any, field: str, errors: dict[str, list[str]]) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [v.strip() for v in re.split(r"[,\n]", value) if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.setdefault(field, []).append("must be a list of texts")
        return []
    return [v.strip() for v in value if v.strip()]


def definition_clean(data: dict[str, Any], *, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """Cleaned definition fields (``CONTENT_FIELDS`` plus ``related_asset_ids`` and
    ``related_column_ids``), starting from ``base`` (e.g. the current version) and
    overridden by ``data``. Raises ``DefinitionInvalid`` with per-field errors."""
    out: dict[str, Any] = {f: "" for f in CONTENT_FIELDS}
    out.update(
        {
            "metric_type": MetricType.SIMPLE,
            "type_params": {},
            "time_grains": [],
            "dimensions": [],
            "filters": [],
            "related_asset_ids": [],
            "related_column_ids": [],
        }
    )
    out.update({k: v for k, v in (base or {}).items() if k in out})
    out.update({k: v for k, v in data.items() if k in out})
    errors: dict[str, list[str]] = {}
    unknown = set(data) - set(out)
    if unknown:
        errors["__all__"] = [f"unknown field(s): {', '.join(sorted(unknown))}"]
    for key in TEXT_FIELDS:
        value = out[key]
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.setdefault(key, []).append("must be text")
            value = ""
        out[key] = value.strip()
        limit = TEXT_LIMITS.get(key)
        if limit and len(out[key]) > limit:
            errors.setdefault(key, []).append(f"at most {limit} characters")
    if not out["label"]:
        errors.setdefault("label", []).append("a label is required")
    for key in LIST_FIELDS:
        out[key] = _string_list(out[key], key, errors)
    bad_grains = [g for g in out["time_grains"] if g.lower() not in GRAINS]
    if bad_grains:
        errors.setdefault("time_grains", []).append(
            f"{', '.join(bad_grains)}: use {', '.join(GRAINS)}"
        )
    out["time_grains"] = [g.lower() for g in out["time_grains"]]
    if out["formula"] and (problem := formula_parse_error(out["formula"])):
        errors.setdefault("formula", []).append(problem)
    for key in ("filters",):
        for value in out[key]:
            if "{{" not in value and (problem := formula_parse_error(value)):
                errors.setdefault(key, []).append(f"{value!r}: {problem}")
    if isinstance(out["type_params"], str):
        import json

        try:
            out["type_params"] = json.loads(out["type_params"] or "{}")
        except ValueError as exc:
            errors.setdefault("type_params", []).append(f"not valid JSON: {exc}")
            out["type_params"] = {}
    if not errors.get("metric_type"):
        problems = type_params_errors(
            out["metric_type"], out["type_params"], formula=out["formula"]
        )
        if problems:
            errors.setdefault("type_params", []).extend(problems)
    for key, model in (("related_asset_ids", Asset), ("related_column_ids", Column)):
        ids = out[key] or []
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            errors.setdefault(key, []).append("must be a list of ids")
            continue
        found = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
        missing = [i for i in ids if i not in found]
        if missing:
            errors.setdefault(key, []).append(
                f"no such {model._meta.verbose_name}: {', '.join(map(str, missing))}"
            )
        out[key] = sorted(set(ids))
    if errors:
        first = next(iter(errors.items()))
        raise DefinitionInvalid(
            f"The definition is not valid: {first[0]}: {first[1][0]}", errors=errors
        )
    return out
