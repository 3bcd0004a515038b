"""Forms of the metric pages. They parse what people type; ``services.definitions.definition_clean``
decides whether a definition is valid (the API uses it too), and services write.

The propose/edit form shows one small set of fields per MetricFlow type instead of raw
JSON; ``DefinitionForm.definition()`` turns them back into ``type_params``, keeping any
parameter the fields do not show (a ratio's numerator filter imported from dbt, say).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from django import forms
from django.db.models import Q

from catalog.models import Asset, AssetKind
from governance.models import OwnerType, Team
from governance.selectors import owners_from_names
from lexicon_core.tiers import Tier
from metrics_dictionary.errors import DefinitionInvalid, WorkflowError
from metrics_dictionary.models import (
    SUBSCRIBABLE_EVENTS,
    Metric,
    MetricStatus,
    MetricType,
    MetricVersion,
    Webhook,
    WebhookEvent,
)
from metrics_dictionary.services.definitions import GRAINS, TEXT_FIELDS, definition_clean

# (type_params key, form field) per type; conversion keys live under conversion_type_params.
TYPE_FIELDS: dict[str, list[tuple[str, str]]] = {
    MetricType.SIMPLE: [
        ("measure", "simple_measure"),
        ("fill_nulls_with", "simple_fill_nulls_with"),
    ],
    MetricType.RATIO: [("numerator", "ratio_numerator"), ("denominator", "ratio_denominator")],
    MetricType.CUMULATIVE: [
        ("measure", "cumulative_measure"),
        ("window", "cumulative_window"),
        ("grain_to_date", "cumulative_grain_to_date"),
    ],
    MetricType.DERIVED: [("expr", "derived_expr"), ("metrics", "derived_metrics")],
    MetricType.CONVERSION: [
        ("base_measure", "conversion_base_measure"),
        ("conversion_measure", "conversion_conversion_measure"),
        ("entity", "conversion_entity"),
        ("calculation", "conversion_calculation"),
        ("window", "conversion_window"),
    ],
}
NAME_REFS = {"measure", "numerator", "denominator", "base_measure", "conversion_measure"}
# Where an error of definition_clean is shown in the form.
ERROR_FIELDS = {
    "related_asset_ids": "related_models",
    "related_column_ids": "related_models",
    "type_params": "type_params",
    "__all__": None,
}
RELATABLE_KINDS = (
    AssetKind.MODEL,
    AssetKind.SOURCE,
    AssetKind.SEED,
    AssetKind.SNAPSHOT,
    AssetKind.SEMANTIC_MODEL,
    AssetKind.WAREHOUSE_RELATION,
)


def _lines(text: str) -> list[str]:
    return [v.strip() for v in re.split(r"[\n,]", text or "") if v.strip()]


def _ref_name(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or "")
    return str(value or "")


def _text(max_length: int | None = None, **kwargs: Any) -> forms.CharField:
    return forms.CharField(required=False, max_length=max_length, **kwargs)


def _area(rows: int = 3, **kwargs: Any) -> forms.CharField:
    return forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


class DefinitionForm(forms.Form):
    """A new metric (``new_metric=True``: name, tier, domain, owners too) or a version's
    definition."""

    # --- the metric itself (new metrics only)
    name = forms.CharField(
        max_length=200, required=False, help_text="What people call it, e.g. Net revenue."
    )
    tier = forms.TypedChoiceField(
        choices=[
            (t.value, f"{t.label} — board-level KPI" if t == Tier.TIER_1 else t.label) for t in Tier
        ],
        coerce=int,
        initial=3,
        required=False,
    )
    domain = _text(100, help_text="Business domain, e.g. Finance.")
    category = _text(100)
    owners = _text(500, help_text="Usernames, separated by commas. Empty: you own it.")
    # --- the definition
    label = _text(200, help_text="The name shown on dashboards.")
    description = _area(
        5,
        label="Business meaning",
        help_text="What it measures and why, for a business reader (markdown).",
    )
    metric_type = forms.ChoiceField(
        choices=MetricType.choices, initial=MetricType.SIMPLE, label="Type"
    )
    simple_measure = _text(
        200, label="Measure", help_text="A measure of a semantic model (optional with a formula)."
    )
    simple_fill_nulls_with = _text(20, label="Fill empty periods with", help_text="e.g. 0")
    ratio_numerator = _text(200, label="Numerator metric")
    ratio_denominator = _text(200, label="Denominator metric")
    cumulative_measure = _text(200, label="Measure")
    cumulative_window = _text(
        30, label="Window", help_text="e.g. 7 days, 12 months; empty: all time"
    )
    cumulative_grain_to_date = forms.ChoiceField(
        choices=[("", "—")] + [(g, g) for g in GRAINS],
        required=False,
        label="Grain to date",
        help_text="Resets every period (not with a window).",
    )
    derived_expr = _text(
        1000, label="Expression", help_text="Over the input metrics, e.g. revenue / active_accounts"
    )
    derived_metrics = _text(
        1000, label="Input metrics", help_text="Metric names, separated by commas."
    )
    conversion_base_measure = _text(200, label="Base measure", help_text="e.g. signups")
    conversion_conversion_measure = _text(
        200, label="Conversion measure", help_text="e.g. first paid invoices"
    )
    conversion_entity = _text(200, label="Entity", help_text="Who converts, e.g. account")
    conversion_calculation = forms.ChoiceField(
        choices=[("", "—"), ("conversion_rate", "conversion rate"), ("conversions", "conversions")],
        required=False,
        label="Calculation",
    )
    conversion_window = _text(30, label="Window", help_text="e.g. 30 days")
    formula = _area(
        3, help_text="SQL expression over the related models' columns, e.g. SUM(amount_usd)."
    )
    time_grains = forms.MultipleChoiceField(
        choices=[(g, g) for g in GRAINS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Time grains",
    )
    entity_grain = _text(200, help_text="The entity it is counted per, e.g. account.")
    dimensions = _area(2, help_text="One per line: what it can be sliced by.")
    filters = _area(2, help_text="One SQL condition per line, e.g. status = 'paid'.")
    unit = _text(50, help_text="e.g. USD, %, accounts")
    format = _text(50, help_text="e.g. 0,0.00")
    caveats = _area(3, label="Caveats and known limitations", help_text="Markdown.")
    related_models = _area(
        2,
        label="Computed from (catalog models)",
        help_text="Model names or dbt unique ids, one per line, e.g. fct_revenue.",
    )
    example_query = _area(4, help_text="SQL a reader can run.")
    change_summary = _area(
        2, help_text="What changes and why (shown to reviewers and in the change log)."
    )

    def __init__(
        self,
        data: Any = None,
        *,
        new_metric: bool,
        version: MetricVersion | None = None,
        **kwargs: Any,
    ) -> None:
        self.new_metric = new_metric
        self.base_type = version.metric_type if version else ""
        self.base_params = copy.deepcopy(version.type_params or {}) if version else {}
        if version is not None and data is None:
            kwargs["initial"] = {**self.initial_from(version), **kwargs.get("initial", {})}
        super().__init__(data, **kwargs)
        if new_metric:
            self.fields["name"].required = True
        else:
            for key in ("name", "tier", "domain", "category", "owners"):
                del self.fields[key]
        self.resolved_assets: list[Asset] = []

    @staticmethod
    def initial_from(version: MetricVersion) -> dict[str, Any]:
        data: dict[str, Any] = {
            f: getattr(version, f)
            for f in (
                "label",
                "description",
                "metric_type",
                "formula",
                "entity_grain",
                "unit",
                "format",
                "caveats",
                "example_query",
            )
        }
        data["time_grains"] = version.time_grains
        data["dimensions"] = "\n".join(version.dimensions or [])
        data["filters"] = "\n".join(version.filters or [])
        data["related_models"] = "\n".join(a.unique_id for a in version.related_assets.all())
        params = version.type_params or {}
        conv = params.get("conversion_type_params") or {}
        for key, field in TYPE_FIELDS.get(version.metric_type, []):
            value = (
                conv.get(key) if version.metric_type == MetricType.CONVERSION else params.get(key)
            )
            if key == "metrics":
                data[field] = ", ".join(_ref_name(m) for m in value or [])
            elif key in NAME_REFS:
                data[field] = _ref_name(value)
            elif value is not None:
                data[field] = str(value)
        return data

    # ------------------------------------------------------------------ parsing

    def clean_owners(self) -> list:
        resolved = owners_from_names(_lines(self.cleaned_data.get("owners", "")), teams=False)
        if resolved.unknown:
            raise forms.ValidationError(f"No user called {', '.join(sorted(resolved.unknown))}.")
        return resolved.users

    def clean_related_models(self) -> list[int]:
        ids = []
        for value in _lines(self.cleaned_data.get("related_models", "")):
            found = list(
                Asset.objects.filter(
                    Q(unique_id=value) | Q(name__iexact=value, kind__in=RELATABLE_KINDS)
                )
                .filter(removed_at__isnull=True)
                .select_related("project")[:5]
            )
            exact = [a for a in found if a.unique_id == value]
            found = exact or found
            if not found:
                raise forms.ValidationError(f"No model called “{value}” in the catalog.")
            if len(found) > 1:
                raise forms.ValidationError(
                    f"Several assets are called “{value}”: use the unique id "
                    f"({' or '.join(a.unique_id for a in found[:3])})."
                )
            self.resolved_assets.append(found[0])
            ids.append(found[0].pk)
        return ids

    def clean_simple_fill_nulls_with(self) -> int | None:
        value = (self.cleaned_data.get("simple_fill_nulls_with") or "").strip()
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            raise forms.ValidationError("A whole number, e.g. 0.") from None

    def type_params(self) -> dict[str, Any]:
        """``type_params`` for the chosen type from its fields, keeping parameters they do not
        show."""
        kind = self.cleaned_data.get("metric_type") or MetricType.SIMPLE
        params = copy.deepcopy(self.base_params) if kind == self.base_type else {}
        target = params
        if kind == MetricType.CONVERSION:
            target = params.setdefault("conversion_type_params", {})
            if not isinstance(target, dict):
                target = params["conversion_type_params"] = {}
        for key, field in TYPE_FIELDS[kind]:
            value = self.cleaned_data.get(field)
            if value in (None, ""):
                target.pop(key, None)
            elif key == "metrics":
                # Keep each input's extra keys (alias, offset window...): the same name may
                # appear twice (``mrr`` and ``mrr`` offset by a month), so match in order.
                unused = list(target.get("metrics") or [])
                inputs = []
                for name in _lines(value):
                    match = next((m for m in unused if _ref_name(m) == name), None)
                    if match is not None:
                        unused.remove(match)
                    inputs.append(match if match is not None else name)
                target[key] = inputs
            elif key in NAME_REFS and isinstance(target.get(key), dict):
                target[key] = {**target[key], "name": value.strip()}
            else:
                target[key] = value.strip() if isinstance(value, str) else value
        if kind == MetricType.CONVERSION and not target:
            params.pop("conversion_type_params", None)
        return params

    def definition(self) -> dict[str, Any]:
        """The definition for ``services.definitions.definition_clean`` and the services."""
        data = self.cleaned_data
        definition = {f: data.get(f, "") for f in TEXT_FIELDS}
        if self.new_metric and not definition["label"]:
            definition["label"] = data.get("name", "")
        definition["type_params"] = self.type_params()
        definition["time_grains"] = list(data.get("time_grains") or [])
        definition["dimensions"] = _lines(data.get("dimensions", "").replace(",", "\n"))
        definition["filters"] = [
            v.strip() for v in (data.get("filters") or "").splitlines() if v.strip()
        ]
        definition["related_asset_ids"] = data.get("related_models") or []
        return definition

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # Validate the definition even when some fields failed already, so that every
        # problem shows at once; a field with its own error keeps just that one.
        try:
            definition_clean(self.definition())
        except DefinitionInvalid as exc:
            self.add_definition_errors(exc, skip=set(self.errors))
        return cleaned

    def add_definition_errors(
        self, exc: DefinitionInvalid, *, skip: set[str] = frozenset()
    ) -> None:
        """Errors of ``definition_clean`` or a service, next to the fields they are about."""
        if not exc.errors:
            self.add_error(None, exc.message)
        for key, messages in exc.errors.items():
            field = ERROR_FIELDS.get(key, key)
            if field is not None and field not in self.fields and field != "type_params":
                field = None
            if field in skip:
                continue
            for message in messages:
                if field == "type_params":
                    self.type_param_errors.append(message)
                else:
                    self.add_error(field, message)

    @property
    def type_param_errors(self) -> list[str]:
        if not hasattr(self, "_type_param_errors"):
            self._type_param_errors: list[str] = []
        return self._type_param_errors

    def has_type_param_errors(self) -> bool:
        return bool(self.type_param_errors)

    def is_valid(self) -> bool:
        return super().is_valid() and not self.type_param_errors

    def type_sections(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """(type, label, bound fields) for the template: one fieldset per MetricFlow type."""
        return [
            (kind, label, [self[f] for _k, f in TYPE_FIELDS[kind]])
            for kind, label in MetricType.choices
        ]

    def identity_fields(self) -> list[forms.BoundField]:
        return (
            [self[f] for f in ("name", "tier", "domain", "category", "owners")]
            if self.new_metric
            else []
        )

    def selected_type(self) -> str:
        value = self["metric_type"].value()
        return value if value in MetricType.values else MetricType.SIMPLE


class CommentForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20000,
        label="Comment",
        help_text="Markdown. Everyone who can read the metric sees it.",
    )


class DecisionForm(forms.Form):
    DECISIONS = [
        ("approve", "Approve"),
        ("request_changes", "Request changes"),
        ("reject", "Reject"),
    ]
    decision = forms.ChoiceField(choices=DECISIONS)
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=20000
    )


class DeprecateForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="Why readers should stop using it.",
    )
    sunset_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="After this day the metric is retired (its page stays, as a tombstone).",
    )
    replacement = forms.ModelChoiceField(
        queryset=Metric.objects.none(),
        required=False,
        empty_label="— no replacement —",
        to_field_name="slug",
        help_text="The metric readers should use instead.",
    )

    def __init__(self, *args: Any, metric: Metric, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["replacement"].queryset = (
            Metric.objects.exclude(pk=metric.pk)
            .exclude(status=MetricStatus.RETIRED)
            .order_by("name")
        )


OWNER_FIELDS = (
    ("business_owners", OwnerType.BUSINESS),
    ("technical_owners", OwnerType.TECHNICAL),
    ("stewards", OwnerType.STEWARD),
)


class MetricSettingsForm(forms.Form):
    """A metric's name, tier, domain and owners (users or teams, by owner type)."""

    name = forms.CharField(max_length=200)
    tier = forms.TypedChoiceField(choices=Tier.choices, coerce=int)
    domain = _text(100)
    category = _text(100)
    business_owners = _text(1000, help_text="Usernames or team names, separated by commas.")
    technical_owners = _text(1000, help_text="Usernames or team names, separated by commas.")
    stewards = _text(
        1000, label="Data stewards", help_text="Usernames or team names, separated by commas."
    )

    @staticmethod
    def initial_for(metric: Metric) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": metric.name,
            "tier": metric.tier,
            "domain": metric.domain,
            "category": metric.category,
        }
        for field, owner_type in OWNER_FIELDS:
            initial[field] = ", ".join(
                o.user.username if o.user_id else o.team.name
                for o in metric.owners.all()
                if o.owner_type == owner_type
            )
        return initial

    def _owners(self, field: str) -> tuple[list, list[Team]]:
        resolved = owners_from_names(_lines(self.cleaned_data.get(field, "")))
        if resolved.unknown:
            raise forms.ValidationError(f"No user or team called {', '.join(resolved.unknown)}.")
        return resolved.users, resolved.teams

    def clean_business_owners(self):
        return self._owners("business_owners")

    def clean_technical_owners(self):
        return self._owners("technical_owners")

    def clean_stewards(self):
        return self._owners("stewards")


class WebhookForm(forms.Form):
    """A webhook's name, URL and events; ``webhook_create`` / ``webhook_update`` validate them."""

    name = forms.CharField(max_length=200, required=False, help_text="Default: the URL.")
    url = forms.CharField(
        label="URL",
        max_length=1000,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
        help_text="Lexicon POSTs signed JSON here.",
    )
    events = forms.MultipleChoiceField(
        choices=[(e, WebhookEvent(e).label) for e in SUBSCRIBABLE_EVENTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event, including ones added later.",
    )

    def add_service_errors(self, exc: WorkflowError) -> None:
        for field, errors in exc.errors.items():
            for error in errors:
                self.add_error(field if field in self.fields else None, error)
        if not exc.errors:
            self.add_error(None, exc.message)


class WebhookCreateForm(WebhookForm):
    secret_env = forms.CharField(
        label="Secret environment variable",
        max_length=100,
        required=False,
        help_text="Optional: the name of an environment variable of the server holding the "
        "signing secret. Leave empty and Lexicon makes a secret, shown once.",
    )


class WebhookEditForm(WebhookForm):
    active = forms.BooleanField(
        required=False, help_text="Inactive webhooks receive nothing (except test pings)."
    )

    @staticmethod
    def initial_for(webhook: Webhook) -> dict[str, Any]:
        return {
            "name": webhook.name,
            "url": webhook.url,
            "events": webhook.events,
            "active": webhook.active,
        }
