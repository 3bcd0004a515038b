"""dbt meta conventions → owners, tier and PII flags, as ingested hints.

The keys read are settings (``LEXICON_META_*``). These values are what dbt says; a
person's decision is stored in ``governance`` and wins over them on every page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings

from lexicon_core.tiers import TIERS, Tier

_TIER_WORDS = {
    "gold": Tier.TIER_1,
    "platinum": Tier.TIER_1,
    "critical": Tier.TIER_1,
    "silver": Tier.TIER_2,
    "bronze": Tier.TIER_3,
}
_TIER_RE = re.compile(
    r"^\s*(?:tier|t)?[\s_:\-]*([" + "".join(str(t) for t in TIERS) + r"])\s*$", re.IGNORECASE
)
_FALSY = {"", "false", "no", "0", "none", "null", "public", "non_pii", "not_pii", "n"}
_SPLIT_RE = re.compile(r"[;,]")


def as_list(value: Any) -> list[str]:
    """dbt allows tags as a string or a list; normalise to a list of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, Iterable):
        return [str(v) for v in value if v is not None and v != ""]
    return [str(value)]


def _owner_strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in _SPLIT_RE.split(value) if part.strip()]
    if isinstance(value, Mapping):
        email = value.get("email")
        if isinstance(email, list):
            return [str(e).strip() for e in email if e]
        picked = email or value.get("name")
        return [str(picked).strip()] if picked else []
    if isinstance(value, Iterable):
        out: list[str] = []
        for item in value:
            out.extend(_owner_strings(item))
        return out
    return [str(value)]


def owners_from(meta: Mapping[str, Any], *fallbacks: Any) -> list[str]:
    """Owners from the first configured meta key that has any, else from fallbacks
    (group owner, exposure owner), without duplicates, in order."""
    found: list[str] = []
    for key in settings.LEXICON_META_OWNER_KEYS:
        found = _owner_strings(meta.get(key))
        if found:
            break
    if not found:
        for fallback in fallbacks:
            found = _owner_strings(fallback)
            if found:
                break
    seen: set[str] = set()
    unique = []
    for owner in found:
        if owner.lower() not in seen:
            seen.add(owner.lower())
            unique.append(owner)
    return unique


def parse_tier(value: Any) -> int | None:
    """1, "1", "tier_1", "Tier 1", "T1", "gold" → 1; unknown → None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if int(value) in TIERS else None
    text = str(value).strip().lower()
    if text in _TIER_WORDS:
        return int(_TIER_WORDS[text])
    match = _TIER_RE.match(text)
    return int(match.group(1)) if match else None


def tier_from(meta: Mapping[str, Any], tags: Iterable[str]) -> int | None:
    for key in settings.LEXICON_META_TIER_KEYS:
        tier = parse_tier(meta.get(key))
        if tier is not None:
            return tier
    for tag in tags:
        if tag.lower().startswith("tier") or tag.lower() in _TIER_WORDS:
            tier = parse_tier(tag)
            if tier is not None:
                return tier
    return None


def pii_from(meta: Mapping[str, Any], tags: Iterable[str]) -> str:
    """How dbt flags this column as PII, as written (``contains_pii=true``,
    ``sensitivity=confidential``, ``tag:pii``); empty when it does not."""
    for key in settings.LEXICON_META_PII_KEYS:
        if key not in meta:
            continue
        value = meta[key]
        if isinstance(value, bool):
            if value:
                return f"{key}=true"
            continue
        text = str(value).strip()
        if text.lower() not in _FALSY:
            return f"{key}={text}"[:100]
    pii_tags = {t.lower() for t in settings.LEXICON_PII_TAGS}
    for tag in tags:
        if tag.lower() in pii_tags:
            return f"tag:{tag}"[:100]
    return ""
