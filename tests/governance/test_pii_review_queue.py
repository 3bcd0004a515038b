"""The PII review queue: filters, one or many decisions at once, each audited; refusals."""

import pytest

from catalog.models import Asset, Column
from governance.models import AuditEvent, ColumnClassification
from governance.services import asset_tier_set
from tests.factories import token_client

pytestmark = pytest.mark.django_db
QUEUE = "/governance/pii/"
DECIDE = "/governance/pii/decide/"


@pytest.fixture
def example(example_catalog):
    return example_catalog


def _ids_on_page(html: str) -> set[int]:
    import re

    return {int(pk) for pk in re.findall(r'name="ids" value="(\d+)"', html)}


def test_the_queue_lists_open_suggestions_with_counts(example, reviewer, client):
    client.force_login(reviewer)
    html = client.get(QUEUE).content.decode()
    open_ids = set(
        ColumnClassification.objects.filter(status="suggested").values_list("pk", flat=True)
    )
    assert _ids_on_page(html) == open_ids and open_ids
    assert f"Suggested: <strong>{len(open_ids)}</strong>" in html
    assert "Select all on this page" in html


@pytest.mark.parametrize("param", ["category", "origin", "project", "tier"])
def test_each_filter_narrows_the_queue_to_matching_rows(example, reviewer, client, param):
    client.force_login(reviewer)
    asset_tier_set(
        asset=Asset.objects.get(name="stg_app_users", kind="model"), tier=1, actor=reviewer
    )
    rows = ColumnClassification.objects.filter(status="suggested").select_related("column__asset")

    def tier_of(row):
        decision = getattr(row.column.asset, "tier_decision", None)
        return str(decision.tier if decision else row.column.asset.dbt_tier)

    value_of = {
        "category": lambda r: r.category,
        "origin": lambda r: r.origin,
        "project": lambda r: str(r.column.asset.project_id),
        "tier": tier_of,
    }[param]
    value = {"category": "email", "origin": "dbt", "project": str(example.project_id), "tier": "1"}[
        param
    ]
    expected = {r.pk for r in rows if value_of(r) == value}
    assert expected and (param == "project" or expected != {r.pk for r in rows})
    html = client.get(QUEUE, {param: value}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html  # a fragment for htmx
    assert _ids_on_page(html) == expected


def _same_fact(rows) -> list[ColumnClassification]:
    """Open suggestions about the same column and category as ``rows`` (decided together)."""
    pairs = {(r.column_id, r.category) for r in rows}
    return [
        r
        for r in ColumnClassification.objects.filter(status="suggested").order_by("pk")
        if (r.column_id, r.category) in pairs
    ]


def test_a_reviewer_confirms_many_at_once_and_rejects_one_each_audited(example, reviewer, client):
    client.force_login(reviewer)
    open_rows = list(ColumnClassification.objects.filter(status="suggested").order_by("pk"))
    chosen = open_rows[:3]
    confirmed = _same_fact(chosen)
    rejected = next(
        r
        for r in open_rows
        if (r.column_id, r.category) not in {(c.column_id, c.category) for c in confirmed}
    )
    rejected_too = _same_fact([rejected])
    response = client.post(
        DECIDE, {"ids": [r.pk for r in chosen], "decision": "confirm"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Confirmed {len(confirmed)} classifications." in html
    assert not _ids_on_page(html) & {
        r.pk for r in confirmed
    }  # they left the list of open suggestions
    response = client.post(
        DECIDE, {"ids": [rejected.pk], "decision": "reject"}, HTTP_HX_REQUEST="true"
    )
    assert f"Rejected {len(rejected_too)} classification" in response.content.decode()

    for row in confirmed:
        row.refresh_from_db()
        assert (row.status, row.decided_by) == ("confirmed", reviewer)
    for row in rejected_too:
        row.refresh_from_db()
        assert row.status == "rejected"
    events = AuditEvent.objects.filter(actor=reviewer, action__startswith="column.classification_")
    assert sorted((e.action, e.object_id, e.after["category"]) for e in events) == sorted(
        {("column.classification_confirm", str(r.column_id), r.category) for r in confirmed}
        | {("column.classification_reject", str(rejected.column_id), rejected.category)}
    )
    assert all(c["status"] == "suggested" for e in events for c in e.before["classifications"])


def test_dbt_and_a_heuristic_agreeing_on_a_column_are_decided_together(example, reviewer, client):
    client.force_login(reviewer)
    email = Column.objects.get(asset__name="dim_users", name_key="email")
    heuristic = ColumnClassification.objects.get(column=email, origin="heuristic")
    client.post(DECIDE, {"ids": [heuristic.pk], "decision": "confirm"}, HTTP_HX_REQUEST="true")
    assert set(
        ColumnClassification.objects.filter(column=email).values_list("origin", "status")
    ) == {("heuristic", "confirmed"), ("dbt", "confirmed")}
    assert AuditEvent.objects.filter(object_id=str(email.pk)).count() == 1


def test_bulk_actions_need_a_csrf_token(example, reviewer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    row = ColumnClassification.objects.filter(status="suggested").first()
    assert client.post(DECIDE, {"ids": [row.pk], "decision": "confirm"}).status_code == 403
    row.refresh_from_db()
    assert row.status == "suggested"


def test_a_bad_decision_is_refused_with_a_reason_and_changes_nothing(example, reviewer, client):
    client.force_login(reviewer)
    row = ColumnClassification.objects.filter(status="suggested").first()
    audited = AuditEvent.objects.count()
    response = client.post(DECIDE, {"ids": [row.pk], "decision": "maybe"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "Unknown decision" in response.content.decode()
    response = client.post(DECIDE, {"decision": "confirm"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "Select at least one" in response.content.decode()
    assert AuditEvent.objects.count() == audited


def test_the_empty_queue_says_what_to_do_next(reviewer, client):
    client.force_login(reviewer)
    html = client.get(QUEUE).content.decode()
    assert "Nothing waits for review" in html and "/governance/scorecard/" in html


@pytest.mark.parametrize("role", ["viewer", "analyst", "metric_owner", "outsider"])
def test_who_may_not_classify_gets_403_on_page_and_api(example, role, request, client):
    user = request.getfixturevalue(role)
    client.force_login(user)
    row = ColumnClassification.objects.filter(status="suggested").first()
    audited = AuditEvent.objects.count()
    assert client.get(QUEUE).status_code == 403
    assert client.post(DECIDE, {"ids": [row.pk], "decision": "confirm"}).status_code == 403
    assert (
        client.post(
            f"/governance/columns/{row.column_id}/classify/",
            {"category": "email", "status": "confirmed"},
        ).status_code
        == 403
    )
    api = token_client(user)
    assert api.get("/api/v1/governance/review-queue/").status_code == 403
    response = api.post(
        f"/api/v1/columns/{row.column_id}/classifications/", {"category": "email"}, format="json"
    )
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.status == "suggested" and AuditEvent.objects.count() == audited


def test_the_queue_page_keeps_a_fixed_number_of_queries(
    example, reviewer, client, django_assert_max_num_queries
):
    client.force_login(reviewer)
    with django_assert_max_num_queries(12):
        response = client.get(QUEUE)
    assert response.status_code == 200 and response.context["page"].object_list


def test_the_columns_tab_and_the_column_page_show_the_effective_classification_and_origin(
    example, reviewer, viewer, client
):
    from governance.pii.review import column_classifications_review

    email = Column.objects.get(asset__name="fct_support_tickets", name_key="requester_email")
    heuristic = ColumnClassification.objects.get(
        column=email, origin="heuristic"
    )  # no dbt flag on this one
    column_classifications_review(
        classification_ids=[heuristic.pk], decision="confirm", actor=reviewer
    )
    client.force_login(viewer)
    tab = client.get(
        f"/assets/{email.asset_id}/?tab=columns", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert (
        f'id="pii-col-{email.pk}"' in tab
        and f"/governance/assets/{email.asset_id}/columns-pii/" in tab
    )
    oob = client.get(f"/governance/assets/{email.asset_id}/columns-pii/").content.decode()
    cell = oob.split(f'id="pii-col-{email.pk}"')[1].split("</span>\n")[0]
    assert "PII · email" in cell and "confirmed · heuristic" in cell
    page = client.get(f"/governance/columns/{email.pk}/").content.decode()
    assert "confirmed · heuristic" in page and "Name/type heuristic" in page
    assert "Mark as not PII" not in page  # a viewer cannot classify


def test_a_reviewer_classifies_a_column_or_marks_it_clean_on_its_page(example, reviewer, client):
    from governance.pii.effective import effective_for

    client.force_login(reviewer)
    column = Column.objects.get(asset__name="fct_mrr", name_key="mrr_amount")
    page = client.get(f"/governance/columns/{column.pk}/").content.decode()
    assert "unreviewed" in page and "Mark as not PII" in page
    response = client.post(
        f"/governance/columns/{column.pk}/classify/",
        {"category": "payment", "sensitivity": "restricted", "status": "confirmed"},
    )
    assert response.status_code == 302
    effective = effective_for(column)
    assert (effective.category, effective.origin, effective.status, effective.sensitivity) == (
        "payment",
        "person",
        "confirmed",
        "restricted",
    )
    client.post(
        f"/governance/columns/{column.pk}/classify/", {"category": "none", "status": "confirmed"}
    )
    assert effective_for(column).clean and effective_for(column).reviewed
    assert (
        AuditEvent.objects.filter(
            object_id=str(column.pk), action="column.classification_decide"
        ).count()
        == 2
    )
    response = client.post(
        f"/governance/columns/{column.pk}/classify/", {"category": "shoe_size"}, follow=True
    )
    assert "Not saved: unknown PII category" in response.content.decode()
    assert AuditEvent.objects.filter(object_id=str(column.pk)).count() == 2


def test_without_javascript_a_decision_redirects_back_to_the_filtered_queue(
    example, reviewer, client
):
    client.force_login(reviewer)
    row = ColumnClassification.objects.filter(status="suggested", category="email").first()
    response = client.post(f"{DECIDE}?category=email", {"ids": [row.pk], "decision": "confirm"})
    assert response.status_code == 302 and response.url.endswith("/governance/pii/?category=email")
    row.refresh_from_db()
    assert row.status == "confirmed"
