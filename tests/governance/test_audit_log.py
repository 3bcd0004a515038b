from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from catalog.models import Asset, Column, Project
from governance.models import AuditEvent, ColumnClassification
from governance.services import audit_record, user_roles_set
from tests.factories import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def asset(db) -> Asset:
    project = Project.objects.create(name="audit")
    return Asset.objects.create(
        project=project, unique_id="model.audit.orders", kind="model", name="orders"
    )


def test_a_page_edit_records_the_request_id_from_the_header(client, reviewer, asset):
    client.force_login(reviewer)
    response = client.post(
        reverse("governance:asset_tier_edit", args=[asset.pk]),
        {"tier": "1"},
        HTTP_X_REQUEST_ID="req-abc-123",
    )
    assert response.status_code == 200 and response["X-Request-ID"] == "req-abc-123"
    event = AuditEvent.objects.get(action="asset.tier_set")
    assert (event.request_id, event.actor_name, event.after["tier"]) == ("req-abc-123", "grace", 1)


def test_without_a_header_each_request_gets_a_fresh_id_and_junk_is_replaced(
    client, reviewer, asset
):
    client.force_login(reviewer)
    first = client.post(reverse("governance:asset_tier_edit", args=[asset.pk]), {"tier": "2"})
    second = client.post(
        reverse("governance:asset_tier_edit", args=[asset.pk]),
        {"tier": "3"},
        HTTP_X_REQUEST_ID="bad id; drop table",
    )
    ids = list(
        AuditEvent.objects.filter(action="asset.tier_set")
        .order_by("id")
        .values_list("request_id", flat=True)
    )
    assert ids == [first["X-Request-ID"], second["X-Request-ID"]]
    assert len(set(ids)) == 2 and all(len(i) == 32 for i in ids)


@pytest.fixture
def column(asset) -> Column:
    return Column.objects.create(asset=asset, name="email", name_key="email", position=0)


@pytest.mark.parametrize("header", ["trace-7f3", ""])
def test_an_api_classification_records_the_request_id_of_its_response(reviewer, column, header):
    """The id the middleware gives the request (the caller's X-Request-ID, else a new one) is
    the one in the response header and in the audit row."""
    extra = {"HTTP_X_REQUEST_ID": header} if header else {}
    response = token_client(reviewer).post(
        f"/api/v1/columns/{column.pk}/classifications/",
        {"category": "email"},
        format="json",
        **extra,
    )
    assert response.status_code == 201
    given = response["X-Request-ID"]
    assert given == header if header else len(given) == 32  # a new uuid, as hex
    assert AuditEvent.objects.get(action="column.classification_decide").request_id == given


def test_page_decisions_on_pii_record_the_request_id(client, reviewer, column):
    client.force_login(reviewer)
    classify = client.post(
        reverse("governance:column_classify", args=[column.pk]),
        {"category": "email", "status": "suggested"},
        HTTP_X_REQUEST_ID="page-1",
    )
    suggestion = ColumnClassification.objects.get(column=column, origin="person")
    decide = client.post(
        reverse("governance:review_queue_decide"),
        {"ids": [suggestion.pk], "decision": "confirm"},
        HTTP_X_REQUEST_ID="page-2",
    )
    assert (classify.status_code, decide.status_code) == (302, 302)
    assert list(
        AuditEvent.objects.filter(action__startswith="column.")
        .order_by("id")
        .values_list("action", "request_id")
    ) == [("column.classification_decide", "page-1"), ("column.classification_confirm", "page-2")]


def test_role_grants_anywhere_are_audited(admin_user, viewer):
    analyst_group = Group.objects.get_or_create(name="analyst")[0]
    viewer.groups.add(analyst_group)
    added = AuditEvent.objects.filter(
        action="user.groups_changed", object_id=str(viewer.pk)
    ).latest("id")
    assert added.before == {"groups": ["viewer"]} and added.after == {
        "groups": ["analyst", "viewer"]
    }
    analyst_group.user_set.remove(viewer)  # from the group's side
    removed = AuditEvent.objects.filter(
        action="user.groups_changed", object_id=str(viewer.pk)
    ).latest("id")
    assert removed.before == {"groups": ["analyst", "viewer"]} and removed.after == {
        "groups": ["viewer"]
    }
    viewer.groups.clear()
    cleared = AuditEvent.objects.filter(
        action="user.groups_changed", object_id=str(viewer.pk)
    ).latest("id")
    assert cleared.before == {"groups": ["viewer"]} and cleared.after == {"groups": []}


def test_the_roles_page_changes_roles_with_one_audit_row_naming_the_admin(
    client, admin_user, viewer
):
    client.force_login(admin_user)
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.post(
        reverse("governance:roles"), {"user": viewer.pk, "roles": ["analyst", "metric_owner"]}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(pk__gt=last)  # one row, not one per group added or removed
    assert event.action == "user.roles_set" and event.actor_name == "ada"
    assert event.before == {"roles": ["viewer"]} and event.after == {
        "roles": ["analyst", "metric_owner"]
    }
    assert sorted(viewer.groups.values_list("name", flat=True)) == ["analyst", "metric_owner"]
    html = client.get(reverse("governance:roles")).content.decode()
    assert "vera" in html


def test_user_roles_set_refuses_unknown_roles(admin_user, viewer):
    with pytest.raises(ValueError, match="wizard"):
        user_roles_set(user=viewer, roles=["wizard"], actor=admin_user)
    assert list(viewer.groups.values_list("name", flat=True)) == ["viewer"]


def test_audit_page_filters_by_actor_action_type_date_and_text(client, reviewer, admin_user, asset):
    audit_record(
        actor=reviewer, action="asset.tier_set", obj=asset, after={"tier": 1, "reason": "board KPI"}
    )
    audit_record(actor=admin_user, action="asset.owners_set", obj=asset, after=[{"user": "vera"}])
    audit_record(
        actor=admin_user, action="policy.update", obj=Project.objects.get(), after={"x": 1}
    )
    client.force_login(reviewer)
    url = reverse("governance:audit_log")

    def shown(**params) -> set[str]:
        page = client.get(url, params)
        assert page.status_code == 200
        return {e.action for e in page.context["page"]}

    assert shown(actor="ada") == {"asset.owners_set", "policy.update"}
    assert shown(action="asset.") == {"asset.tier_set", "asset.owners_set"}
    assert shown(action="asset.tier_set") == {"asset.tier_set"}
    assert shown(object_type="catalog.project") == {"policy.update"}
    assert shown(object_type="catalog.asset", object_id=str(asset.pk)) == {
        "asset.tier_set",
        "asset.owners_set",
    }
    assert shown(q="board KPI") == {"asset.tier_set"}
    today = timezone.localdate()
    assert len(shown(since=today.isoformat(), until=today.isoformat())) >= 3
    assert shown(until=(today - timedelta(days=1)).isoformat()) == set()


def test_audit_page_paginates_fifty_at_a_time(client, reviewer, asset):
    for i in range(60):
        audit_record(actor=reviewer, action="asset.tier_set", obj=asset, after={"i": i})
    client.force_login(reviewer)
    first = client.get(reverse("governance:audit_log"), {"action": "asset.tier_set"})
    second = client.get(reverse("governance:audit_log"), {"action": "asset.tier_set", "page": 2})
    assert len(first.context["page"]) == 50 and len(second.context["page"]) == 10
    assert "60 changes" in first.content.decode()
    assert "action=asset.tier_set" in first.content.decode()  # next link keeps the filter


def test_csv_export_streams_the_filtered_rows(client, reviewer, admin_user, asset):
    audit_record(
        actor=reviewer,
        action="asset.tier_set",
        obj=asset,
        before={"tier": 2},
        after={"tier": 1},
        request_id="r-1",
    )
    audit_record(actor=admin_user, action="asset.owners_set", obj=asset, after=[])
    client.force_login(reviewer)
    response = client.get(reverse("governance:audit_csv"), {"actor": "grace"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    row = rows[0]
    assert (row["actor_name"], row["action"], row["object_repr"], row["request_id"]) == (
        "grace",
        "asset.tier_set",
        "model orders",
        "r-1",
    )
    assert row["before"] == '{"tier": 2}' and row["after"] == '{"tier": 1}'


def test_audit_api_filters_and_paginates(reviewer, admin_user, asset):
    for _ in range(3):
        audit_record(actor=reviewer, action="asset.tier_set", obj=asset, after={"tier": 1})
    audit_record(actor=admin_user, action="asset.owners_set", obj=asset)
    body = (
        token_client(reviewer).get("/api/v1/audit/", {"actor": "grace", "action": "asset."}).json()
    )
    assert body["count"] == 3
    assert {r["actor"] for r in body["results"]} == {"grace"}
    assert set(body["results"][0]) >= {
        "at",
        "action",
        "object_type",
        "object_id",
        "before",
        "after",
        "request_id",
    }
    everything = token_client(reviewer).get("/api/v1/audit/").json()
    assert everything["count"] == AuditEvent.objects.count()


def test_the_audit_log_is_not_shown_to_a_viewer(viewer_client):
    assert viewer_client.get(reverse("governance:audit_log")).status_code == 403


@pytest.mark.parametrize("n_events", [5, 120])
def test_audit_page_and_api_query_counts_are_flat(
    client, reviewer, asset, n_events, django_assert_max_num_queries
):
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=reviewer,
                actor_name="grace",
                action="asset.tier_set",
                object_type="catalog.asset",
                object_id=str(asset.pk),
                after={"i": i},
            )
            for i in range(n_events)
        ]
    )
    client.force_login(reviewer)
    client.get(reverse("governance:index"))
    with django_assert_max_num_queries(10):
        assert client.get(reverse("governance:audit_log")).status_code == 200
    api = token_client(reviewer)
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/audit/").json()["count"] == AuditEvent.objects.count()


def test_csv_export_keeps_formula_like_text_as_text(client, reviewer):
    project = Project.objects.create(name='=HYPERLINK("http://evil")')
    audit_record(actor=reviewer, action="project.note", obj=project)
    client.force_login(reviewer)
    body = b"".join(
        client.get(reverse("governance:audit_csv"), {"action": "project.note"}).streaming_content
    ).decode()
    (row,) = list(csv.DictReader(io.StringIO(body)))
    assert row["object_repr"] == '\'=HYPERLINK("http://evil")'


def test_audit_page_shows_values_as_json_and_exports_what_is_filtered(client, reviewer, asset):
    audit_record(
        actor=reviewer, action="asset.tier_set", obj=asset, before={"tier": None}, after={"tier": 1}
    )
    client.force_login(reviewer)
    html = client.get(reverse("governance:audit_log"), {"action": "asset."}).content.decode()
    assert "{&quot;tier&quot;: null}" in html and "{&quot;tier&quot;: 1}" in html
    assert f'href="{reverse("governance:audit_csv")}?action=asset."' in html
    assert (
        'value=""' in html.split("data-global-search")[0].rsplit("<input", 1)[1]
    )  # the search box stays empty


def test_the_last_admin_cannot_take_away_their_own_admin_role(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("governance:roles"), {"user": admin_user.pk, "roles": ["viewer"]}, follow=True
    )
    assert "last admin" in response.content.decode()
    assert list(admin_user.groups.values_list("name", flat=True)) == ["admin"]
    assert not AuditEvent.objects.filter(action="user.roles_set").exists()


def test_superuser_and_staff_rights_and_deactivation_are_audited_wherever_they_change(
    client, admin_user, viewer
):
    viewer.is_staff = True
    viewer.save()
    event = AuditEvent.objects.filter(action="user.flags_changed", object_id=str(viewer.pk)).latest(
        "id"
    )
    assert event.before["is_staff"] is False and event.after["is_staff"] is True
    assert event.actor is None  # made outside a request (shell, command)

    client.force_login(
        admin_user
    )  # a login saves last_login only: no audit row, no lookup of the flags
    before = AuditEvent.objects.count()
    viewer.last_name = "Lovelace"
    viewer.save()  # a save that changes no flag
    assert AuditEvent.objects.count() == before

    viewer.is_active = False
    viewer.save(update_fields=["is_active"])
    event = AuditEvent.objects.filter(action="user.flags_changed", object_id=str(viewer.pk)).latest(
        "id"
    )
    assert event.before["is_active"] is True and event.after["is_active"] is False

    root = get_user_model().objects.create_superuser("root2", "root2@example.com", "x")
    created = AuditEvent.objects.filter(action="user.flags_changed", object_id=str(root.pk)).get()
    assert created.before is None and created.after["is_superuser"] is True
    get_user_model().objects.create_user("plain", "plain@example.com", "x")
    assert not AuditEvent.objects.filter(action="user.flags_changed", object_repr="plain").exists()
