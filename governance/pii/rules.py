"""PII heuristics: rules on a column's name and type (no data is read); the default table or
LEXICON_PII_RULES_FILE."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from governance.models import ColumnClassification, PiiCategory

Sensitivity = ColumnClassification.Sensitivity

_TEXT = r"char|text|string|clob|^$"  # an empty type: catalog.json not ingested yet

# The default rule set, tried in order; the first match gives the column's suggestion.
# ``name`` and ``types`` are regular expressions searched in the lower-cased column name
# and data type; ``exclude`` (on the name) vetoes a match. Replace the whole table with
# a JSON file of the same shape: LEXICON_PII_RULES_FILE.
DEFAULT_PII_RULES: list[dict[str, str]] = [
    {
        "category": "email",
        "sensitivity": "high",
        "name": r"(^|_)e_?mail(_?addr(ess)?)?$",
        "types": _TEXT,
    },
    {
        "category": "phone",
        "sensitivity": "high",
        "name": r"(^|_)(phone|mobile|cell_?phone|msisdn|fax|tele?phone)(_?(number|no|num|nr))?$",
    },
    {
        "category": "name",
        "sensitivity": "medium",
        "name": r"(^|_)(first|last|middle|full|given|family|maiden|contact|customer|person|legal)"
        r"_?name$|^(surname|forename)$",
        "types": _TEXT,
    },
    {
        "category": "address",
        "sensitivity": "high",
        "name": r"(^|_)(street(_address)?|address(_line)?_?\d?|addr_line_?\d?|postal_?code|"
        r"post_?code|zip(_?code)?|(home|billing|shipping|mailing|postal|street)_address)$",
        "exclude": r"(e_?mail|ip)_?address",
    },
    {"category": "ip", "sensitivity": "medium", "name": r"(^|_)ip(_?addr(ess)?|_?v[46])?$"},
    {"category": "ip", "sensitivity": "medium", "types": r"^inet$"},
    {
        "category": "government_id",
        "sensitivity": "restricted",
        "name": r"(^|_)(ssn|social_security(_number)?|passport(_?(number|no))?|"
        r"national_id(_number)?|tax_id|nino|drivers?_?licen[cs]e(_?(number|no))?)$",
    },
    {
        "category": "payment",
        "sensitivity": "restricted",
        "name": r"(^|_)(card_?number|credit_?card(_number)?|cc_?number|iban|bank_account(_number)?|"
        r"routing_number|cvv|cvc)$",
    },
    {
        "category": "health",
        "sensitivity": "restricted",
        "name": r"(^|_)(diagnos[ie]s|medical_\w+|medications?|icd_?(9|10)?_?codes?|blood_type|"
        r"allerg(y|ies)|disabilit(y|ies)|health_(condition|record|status))$",
    },
    {
        "category": "date_of_birth",
        "sensitivity": "high",
        "name": r"(^|_)(date_of_birth|dob|birth_?date|birthday|birth_dt)$",
    },
    {
        "category": "free_text",
        "sensitivity": "medium",
        "name": r"(^|_)(comments?|notes?|free_text|message|body|remarks?|feedback)$",
        "types": _TEXT,
    },
]


@dataclass(frozen=True)
class PiiRule:
    category: str
    sensitivity: str
    name: re.Pattern | None = None
    types: re.Pattern | None = None
    exclude: re.Pattern | None = None

    def matches(self, name: str, data_type: str) -> bool:
        name, data_type = name.lower(), data_type.lower()
        if self.name is not None and not self.name.search(name):
            return False
        if self.types is not None and not self.types.search(data_type):
            return False
        return not (self.exclude is not None and self.exclude.search(name))


def compile_rules(raw: Any, where: str = "rules") -> list[PiiRule]:
    """Check and compile a rule table; errors name the rule and the field."""
    if not isinstance(raw, list):
        raise ImproperlyConfigured(f"{where}: expected a list of rules, got {type(raw).__name__}.")
    rules = []
    for i, entry in enumerate(raw, start=1):
        place = f"{where}, rule {i}"
        if not isinstance(entry, dict):
            raise ImproperlyConfigured(
                f"{place}: expected an object with category, name and/or types."
            )
        unknown = set(entry) - {"category", "sensitivity", "name", "types", "exclude"}
        if unknown:
            raise ImproperlyConfigured(f"{place}: unknown field(s) {', '.join(sorted(unknown))}.")
        category = entry.get("category")
        if category not in PiiCategory.values or category == PiiCategory.NONE:
            raise ImproperlyConfigured(
                f"{place}: category {category!r} is not one of "
                f"{', '.join(v for v in PiiCategory.values if v != 'none')}."
            )
        sensitivity = entry.get("sensitivity", Sensitivity.MEDIUM)
        if sensitivity not in Sensitivity.values:
            raise ImproperlyConfigured(
                f"{place}: sensitivity {sensitivity!r} is not one of "
                f"{', '.join(Sensitivity.values)}."
            )
        if not entry.get("name") and not entry.get("types"):
            raise ImproperlyConfigured(f"{place}: give a name pattern, a types pattern or both.")
        patterns = {}
        for key in ("name", "types", "exclude"):
            if entry.get(key) is None:
                continue
            try:
                patterns[key] = re.compile(str(entry[key]))
            except re.error as exc:
                raise ImproperlyConfigured(
                    f"{place}: {key} is not a valid regular expression ({exc})."
                ) from None
        rules.append(PiiRule(category=category, sensitivity=sensitivity, **patterns))
    return rules


@lru_cache(maxsize=4)
def _rules_from(path: str | None) -> tuple[PiiRule, ...]:
    if not path:
        return tuple(compile_rules(DEFAULT_PII_RULES, "DEFAULT_PII_RULES"))
    file = Path(path)
    try:
        raw = json.loads(file.read_text())
    except OSError as exc:
        raise ImproperlyConfigured(
            f"LEXICON_PII_RULES_FILE {file}: cannot be read ({exc.strerror})."
        ) from None
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(
            f"LEXICON_PII_RULES_FILE {file}: line {exc.lineno} column {exc.colno}: {exc.msg}."
        ) from None
    return tuple(compile_rules(raw, str(file)))


def pii_rules() -> tuple[PiiRule, ...]:
    """The rule set in force: the file named by LEXICON_PII_RULES_FILE, else the defaults."""
    return _rules_from(getattr(settings, "LEXICON_PII_RULES_FILE", "") or None)


def suggest_for(
    name: str, data_type: str = "", rules: Iterable[PiiRule] | None = None
) -> PiiRule | None:
    """The first rule that matches a column's name and type, if any."""
    for candidate in pii_rules() if rules is None else rules:
        if candidate.matches(name, data_type):
            return candidate
    return None
