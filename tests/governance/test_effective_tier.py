"""The effective tier, one rule: a reviewer's decision, else dbt's, else none."""

import pytest

from catalog.models import Asset, Project
from governance.models import AssetTier
from governance.selectors import effective_tier, effective_tier_filter, effective_tiers

pytestmark = pytest.mark.django_db


@pytest.fixture
def assets() -> dict[str, Asset]:
    project = Project.objects.create(name="p")

    def make(name: str, dbt_tier: int | None, decided: int | None) -> Asset:
        asset = Asset.objects.create(
            project=project, unique_id=f"model.p.{name}", kind="model", name=name, dbt_tier=dbt_tier
        )
        if decided:
            AssetTier.objects.create(asset=asset, tier=decided)
        return asset

    return {
        "dbt_only": make("dbt_only", 2, None),
        "overridden": make("overridden", 2, 1),
        "decided_only": make("decided_only", None, 3),
        "untiered": make("untiered", None, None),
    }


EXPECTED = {
    "dbt_only": (2, "dbt"),
    "overridden": (1, "person"),
    "decided_only": (3, "person"),
    "untiered": (None, ""),
}


def test_ids_and_a_queryset_give_each_asset_its_tier_and_origin(assets):
    by_id = effective_tiers(a.pk for a in assets.values())
    by_queryset = effective_tiers(Asset.objects.all())
    for name, asset in assets.items():
        assert by_id[asset.pk] == by_queryset[asset.pk] == EXPECTED[name], name
        assert effective_tier(asset) == EXPECTED[name], name


@pytest.mark.parametrize("tier", [1, 2, 3, None])
def test_the_filter_selects_the_assets_whose_effective_tier_it_names(assets, tier):
    found = set(Asset.objects.filter(effective_tier_filter(tier)).values_list("name", flat=True))
    assert found == {name for name, (t, _origin) in EXPECTED.items() if t == tier}
