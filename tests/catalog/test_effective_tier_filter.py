"""The tier filter (browse, API, search) and the search's tier facet both use the effective tier:
a reviewer's decision moves an asset to its tier, away from the one dbt gave it."""

from __future__ import annotations

import re

import pytest

from catalog.models import Asset
from governance.services import asset_tier_set
from tests.factories import token_client

pytestmark = pytest.mark.django_db


def _tier_facet(client, query: str) -> dict[str, int]:
    """'Tier 1' -> count, as the search page's tier facet shows them."""
    html = client.get("/search/", {"q": query}).content.decode()
    return {
        label: int(count)
        for label, count in re.findall(
            r'hx-push-url="true"[^>]*>(Tier \d)</a> <span class="count">(\d+)</span>', html
        )
    }


def test_a_reviewers_tier_is_the_tier_an_asset_is_filtered_and_counted_under(
    example_catalog, viewer_client, viewer, reviewer
):
    users = Asset.objects.get(name="dim_users", kind="model")
    assert users.dbt_tier == 2
    facet_before = _tier_facet(viewer_client, "dim_users")

    asset_tier_set(asset=users, tier=3, reason="internal only", actor=reviewer)

    def browse(tier: str) -> str:
        return viewer_client.get("/catalog/", {"tier": tier, "kind": "model"}).content.decode()

    assert "dim_users</a>" in browse("3") and "dim_users</a>" not in browse("2")

    api = token_client(viewer)

    def listed(tier: str) -> set[str]:
        body = api.get("/api/v1/assets/", {"tier": tier, "kind": "model"}).json()
        return {r["name"] for r in body["results"]}

    assert "dim_users" in listed("3") and "dim_users" not in listed("2")

    facet_after = _tier_facet(viewer_client, "dim_users")
    assert facet_after.get("Tier 3", 0) == facet_before.get("Tier 3", 0) + 1
    assert facet_after.get("Tier 2", 0) == facet_before.get("Tier 2", 0) - 1

    # the search narrowed by the facet's value finds it there too
    def found(tier: str) -> set[str]:
        html = viewer_client.get("/search/", {"q": "dim_users", "tier": tier}).content.decode()
        titles = re.findall(r'class="result-title">(.*?)</a>', html)
        return {re.sub(r"</?mark>", "", title) for title in titles}

    title = users.label or users.name
    assert title in found("3") and title not in found("2")


def test_the_tier_choices_of_the_browse_page_name_every_tier(example_catalog, viewer_client):
    html = viewer_client.get("/catalog/").content.decode()
    options = re.findall(r'<option value="(\d)"[^>]*>(Tier \d)</option>', html)
    assert options == [("1", "Tier 1"), ("2", "Tier 2"), ("3", "Tier 3")]
    assert '?tier=1">Tier 1</a>' in html


def test_a_reviewers_tier_survives_a_reingest_and_a_reindex(
    example_catalog, viewer_client, reviewer, tmp_path
):
    import io

    from django.core.management import call_command

    from catalog.models import SearchDocument
    from governance.services import asset_tier_clear
    from tests.factories import example_json, ingest_ok, write_json

    users = Asset.objects.get(name="dim_users", kind="model")
    asset_tier_set(asset=users, tier=3, reason="internal only", actor=reviewer)

    # An ingest that changes the model rebuilds its search document from dbt's facts ...
    manifest = example_json()
    manifest["nodes"][users.unique_id]["description"] = "Users, described anew."
    ingest_ok(write_json(tmp_path / "manifest.json", manifest), project="saas_analytics")
    users.refresh_from_db()
    assert users.description == "Users, described anew."
    # ... and the reviewer's tier is laid over it again, for the filter and the facet alike.
    assert SearchDocument.objects.get(asset=users).tier == 3
    page = viewer_client.get("/catalog/", {"tier": "3", "kind": "model"}).content.decode()
    assert "dim_users</a>" in page

    call_command("search_reindex", stdout=io.StringIO())
    assert SearchDocument.objects.get(asset=users).tier == 3

    asset_tier_clear(asset=users, actor=reviewer)
    call_command("search_reindex", stdout=io.StringIO())
    assert SearchDocument.objects.get(asset=users).tier == 2
