"""Template filters of the lineage pages."""

from __future__ import annotations

from django import template

from lexicon_core.tiers import tier_label as _tier_label

register = template.Library()


@register.filter
def tier_label(tier: int | None) -> str:
    """``{{ asset.dbt_tier|tier_label }}``: "Tier 2", named by ``lexicon_core.tiers``."""
    return _tier_label(tier)
