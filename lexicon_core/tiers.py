"""Asset tiers: 1 is the most critical. Every page, filter, policy and rule names them from here."""

from __future__ import annotations

from django.db import models


class Tier(models.IntegerChoices):
    TIER_1 = 1, "Tier 1"
    TIER_2 = 2, "Tier 2"
    TIER_3 = 3, "Tier 3"


TIERS: tuple[int, ...] = tuple(Tier.values)


def tier_label(tier: int | None) -> str:
    """ "Tier 2", or "No tier" for an asset without one."""
    return Tier(tier).label if tier in TIERS else "No tier"
