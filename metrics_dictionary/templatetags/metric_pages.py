"""Presentation helpers of the metric pages: a definition in words a business reader follows."""

from __future__ import annotations

import json
from typing import Any

from django import template

from metrics_dictionary.models import MetricType

register = template.Library()


def _name(value: Any) -> str:
    if isinstance(value, dict):
        name = str(value.get("name") or "")
        extra = value.get("filter")
        return f"{name} (where {extra})" if extra else name
    return str(value or "")


@register.filter
def type_in_words(version) -> str:
    """MetricFlow's type and its parameters as one sentence."""
    params = version.type_params or {}
    kind = version.metric_type
    if kind == MetricType.SIMPLE:
        text = (
            f"Aggregates the measure “{_name(params['measure'])}”"
            if params.get("measure")
            else "Computed by the formula below"
        )
        if params.get("fill_nulls_with") is not None:
            text += f"; periods without data count as {params['fill_nulls_with']}"
        return text + "."
    if kind == MetricType.RATIO:
        return (
            f"A ratio: “{_name(params.get('numerator'))}” divided by "
            f"“{_name(params.get('denominator'))}”."
        )
    if kind == MetricType.CUMULATIVE:
        what = (
            f"the measure “{_name(params['measure'])}”" if params.get("measure") else "the formula"
        )
        if params.get("window"):
            return f"A running total of {what} over a trailing window of {params['window']}."
        if params.get("grain_to_date"):
            grain = params["grain_to_date"]
            return f"A running total of {what} from the start of each {grain} ({grain}-to-date)."
        return f"A running total of {what} over all time."
    if kind == MetricType.DERIVED:
        inputs = ", ".join(f"“{_name(m)}”" for m in params.get("metrics") or [])
        return (
            f"Derived from other metrics ({inputs or 'none listed'}) as "
            f"{params.get('expr') or '—'}."
        )
    if kind == MetricType.CONVERSION:
        conv = params.get("conversion_type_params") or {}
        calc = (
            "the share of"
            if conv.get("calculation", "conversion_rate") == "conversion_rate"
            else "how many of"
        )
        window = f" within {conv['window']}" if conv.get("window") else ""
        return (
            f"A conversion: {calc} “{_name(conv.get('base_measure'))}” "
            f"per {conv.get('entity') or 'entity'} "
            f"that lead to “{_name(conv.get('conversion_measure'))}”{window}."
        )
    return ""


@register.filter
def as_text(value: Any) -> str:
    """A diff cell: lists one per line, objects as indented JSON, empty as a dash."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2, sort_keys=True)
    return str(value)


@register.filter
def state_badge(state: str) -> str:
    """The badge class of a version state or metric status."""
    return {
        "approved": "badge-status-pass",
        "in_review": "badge-status-running",
        "draft": "badge-status-queued",
        "changes_requested": "badge-status-warn",
        "rejected": "badge-danger",
        "superseded": "badge-neutral",
        "deprecated": "badge-status-warn",
        "retired": "badge-danger",
    }.get(state, "badge-neutral")


@register.filter
def status_label(value: str) -> str:
    from metrics_dictionary.models import MetricStatus, VersionState

    return dict(MetricStatus.choices).get(value) or dict(VersionState.choices).get(value) or value
