from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import Asset, Project
from governance.models import AssetOwner, AuditEvent, Team
from governance.services import asset_owners_set

pytestmark = pytest.mark.django_db


def _asset(name: str, dbt_owners=(), tier: int | None = 2) -> Asset:
    project = Project.objects.get_or_create(name="own")[0]
    return Asset.objects.create(
        project=project,
        unique_id=f"model.own.{name}",
        kind="model",
        name=name,
        dbt_owners=list(dbt_owners),
        dbt_tier=tier,
        description="x",
    )


def test_a_reviewer_edits_owners_in_place_and_the_change_is_audited(client, reviewer, analyst):
    asset = _asset("orders", dbt_owners=["someone@x.io"])
    team = Team.objects.create(name="Revenue")
    client.force_login(reviewer)
    header = client.get(reverse("governance:asset_owners", args=[asset.pk])).content.decode()
    assert reverse("governance:asset_owners_edit", args=[asset.pk]) in header
    form = client.get(
        reverse("governance:asset_owners_edit", args=[asset.pk]), HTTP_HX_REQUEST="true"
    )
    assert 'name="users"' in form.content.decode() and 'name="teams"' in form.content.decode()
    response = client.post(
        reverse("governance:asset_owners_edit", args=[asset.pk]),
        {"owner_type": "steward", "users": [analyst.pk], "teams": [team.pk]},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="asset-owners"' in html
    assert "andy" in html and "Revenue" in html and "steward · person" in html
    assert "someone@x.io" not in html  # a person's choice replaces dbt's on the page
    event = AuditEvent.objects.get(action="asset.owners_set")
    assert event.actor_name == "grace" and event.before == []
    assert {(o["user"], o["team"], o["type"]) for o in event.after} == {
        ("andy", None, "steward"),
        (None, "Revenue", "steward"),
    }


def test_owner_types_are_kept_apart(reviewer, analyst, viewer):
    asset = _asset("orders")
    asset_owners_set(asset=asset, users=(analyst,), owner_type="technical", actor=reviewer)
    asset_owners_set(asset=asset, users=(viewer,), owner_type="business", actor=reviewer)
    assert set(AssetOwner.objects.values_list("user__username", "owner_type")) == {
        ("andy", "technical"),
        ("vera", "business"),
    }


def test_a_bad_owner_type_is_refused_with_the_form(client, reviewer):
    asset = _asset("orders")
    client.force_login(reviewer)
    response = client.post(
        reverse("governance:asset_owners_edit", args=[asset.pk]), {"owner_type": "king"}
    )
    assert response.status_code == 400 and "Owner type" in response.content.decode()
    assert not AssetOwner.objects.exists()


def test_a_viewer_sees_owners_without_edit_buttons(viewer_client):
    asset = _asset("orders", dbt_owners=["someone@x.io"])
    html = viewer_client.get(reverse("governance:asset_owners", args=[asset.pk])).content.decode()
    assert "someone@x.io" in html and "Edit owners" not in html and "Set tier" not in html


def test_a_reviewer_sets_the_tier_from_the_header(client, reviewer):
    asset = _asset("orders", tier=3)
    client.force_login(reviewer)
    response = client.post(
        reverse("governance:asset_tier_edit", args=[asset.pk]), {"tier": "1", "reason": "exec"}
    )
    assert (
        "effective tier 1" in response.content.decode() and "(person)" in response.content.decode()
    )
    bad = client.post(reverse("governance:asset_tier_edit", args=[asset.pk]), {"tier": "7"})
    assert bad.status_code == 400


def test_my_assets_includes_team_ownership_and_my_dbt_email(client, reviewer, analyst, viewer):
    team = Team.objects.create(name="Finance Analytics", email="finance@x.io")
    team.members.add(analyst)
    via_team = _asset("via_team")
    team_email_in_dbt = _asset("team_email_in_dbt", dbt_owners=["finance@x.io"])
    direct = _asset("direct")
    from_dbt = _asset("from_dbt", dbt_owners=[analyst.email])
    team_in_dbt = _asset("team_in_dbt", dbt_owners=["Finance Analytics"])
    overridden = _asset("overridden", dbt_owners=[analyst.email])
    someone_elses = _asset("someone_elses")
    asset_owners_set(asset=via_team, teams=(team,), actor=reviewer)
    asset_owners_set(asset=direct, users=(analyst,), owner_type="business", actor=reviewer)
    asset_owners_set(asset=overridden, users=(viewer,), actor=reviewer)
    asset_owners_set(asset=someone_elses, users=(viewer,), actor=reviewer)
    client.force_login(analyst)
    response = client.get(reverse("governance:my_assets"))
    names = {asset.name for asset, _checks in response.context["rows"]}
    assert names == {
        via_team.name,
        direct.name,
        from_dbt.name,
        team_in_dbt.name,
        team_email_in_dbt.name,
    }
    assert "Finance Analytics" in response.content.decode()
    client.force_login(viewer)
    names = {a.name for a, _c in client.get(reverse("governance:my_assets")).context["rows"]}
    assert names == {overridden.name, someone_elses.name}


def test_teams_page_creates_and_updates_teams_audited(client, reviewer, analyst, viewer):
    client.force_login(reviewer)
    assert (
        client.post(
            reverse("governance:team_create"), {"name": "Growth", "members": [analyst.pk]}
        ).status_code
        == 302
    )
    team = Team.objects.get(name="Growth")
    assert list(team.members.all()) == [analyst]
    duplicate = client.post(reverse("governance:team_create"), {"name": "growth"})
    assert duplicate.status_code == 400 and "exists already" in duplicate.content.decode()
    client.post(
        reverse("governance:team_update", args=[team.pk]),
        {"name": "Growth", "members": [viewer.pk]},
    )
    assert list(team.members.all()) == [viewer]
    actions = list(
        AuditEvent.objects.filter(object_type="governance.team")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["team.create", "team.update"]
    update = AuditEvent.objects.get(action="team.update")
    assert update.before["members"] == ["andy"] and update.after["members"] == ["vera"]
    assert "Growth" in client.get(reverse("governance:teams")).content.decode()


@pytest.mark.parametrize("n_assets", [5, 60])
def test_my_assets_page_query_count_is_flat(
    client, reviewer, analyst, n_assets, django_assert_max_num_queries
):
    team = Team.objects.create(name="Ops")
    team.members.add(analyst)
    for i in range(n_assets):
        asset_owners_set(asset=_asset(f"t{i}"), teams=(team,), actor=reviewer)
    client.force_login(analyst)
    client.get(reverse("governance:index"))  # session warm-up
    with django_assert_max_num_queries(20):
        response = client.get(reverse("governance:my_assets"))
    assert len(response.context["rows"]) == min(n_assets, 50)


TEAMS_PAGE_QUERIES = 4


@pytest.mark.parametrize("n_teams", [3, 30])
@pytest.mark.usefixtures("sessions_as_in_production")
def test_the_teams_page_query_count_is_flat(
    client, reviewer, django_user_model, n_teams, django_assert_num_queries
):
    for i in range(n_teams):
        team = Team.objects.create(name=f"Team {i:02}", email=f"t{i}@x.io")
        team.members.add(*(django_user_model.objects.create_user(f"m{i}_{j}") for j in range(2)))
    client.force_login(reviewer)  # a team manager: each row has its edit form
    client.get(reverse("governance:index"))  # session warm-up
    with django_assert_num_queries(TEAMS_PAGE_QUERIES):
        response = client.get(reverse("governance:teams"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('action="/governance/teams/') == n_teams + 1  # + the new-team form
    assert f"m{n_teams - 1}_0, m{n_teams - 1}_1" in html


def test_the_catalogs_my_assets_link_leads_to_the_governance_page(viewer_client):
    html = viewer_client.get(reverse("catalog:browse")).content.decode()
    assert f'href="{reverse("governance:my_assets")}"' in html


def test_a_reviewer_can_hand_the_tier_back_to_dbt(client, reviewer):
    from governance.models import AssetTier

    asset = _asset("orders", tier=3)
    client.force_login(reviewer)
    client.post(reverse("governance:asset_tier_edit", args=[asset.pk]), {"tier": "1"})
    response = client.post(reverse("governance:asset_tier_edit", args=[asset.pk]), {"tier": "0"})
    assert "effective tier 3" in response.content.decode() and "(dbt)" in response.content.decode()
    assert not AssetTier.objects.exists()
    last = AuditEvent.objects.filter(action="asset.tier_set").latest("id")
    assert last.before == {"tier": 1} and last.after == {"tier": 3, "origin": "dbt"}
