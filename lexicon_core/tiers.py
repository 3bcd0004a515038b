"""Asset tiers: 1 is the most critical. Every page, filter, policy and rule names them from here."""

from __future__ import annotations

from django.db import models


class Tier(models.IntegerChoices):
    TIER_1 = 1, "Tier 1"
    TIER_2 = 2, "Tier 2"
    TIER_3 = 3, "Tier 3"


TIERS: tuple[int, ...] = tuple(Tier.values)


def tier_label(tier: int | str | None) -> str:
    """'Tier 2' for 2 or "2" (a facet or query value); 'No tier' for anything else."""
    try:
        number = int(tier)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "No tier"
    return Tier(number).label if number in TIERS else "No tier"
