from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from catalog.models import Asset
from governance.models import AssetDescription, AuditEvent
from governance.policies import policy_checks
from governance.services import asset_description_set
from tests.factories import EXAMPLE_TARGET, ingest_ok

pytestmark = pytest.mark.django_db


def test_a_reviewer_writes_a_description_in_place_and_it_is_audited(
    example_catalog, client, reviewer
):
    tickets = Asset.objects.get(kind="model", name="fct_support_tickets")
    dbt_text = tickets.description
    client.force_login(reviewer)
    overview = client.get(reverse("catalog:asset", args=[tickets.pk])).content.decode()
    assert f'hx-get="{reverse("governance:asset_description", args=[tickets.pk])}"' in overview
    form = client.get(
        reverse("governance:asset_description_edit", args=[tickets.pk])
    ).content.decode()
    assert escape(dbt_text) in form  # starts from dbt's words
    response = client.post(
        reverse("governance:asset_description_edit", args=[tickets.pk]),
        {"text": "Tickets **with** <script>alert(1)</script> SLA."},
    )
    html = response.content.decode()
    assert (
        response.status_code == 200 and "<strong>with</strong>" in html and "<script>" not in html
    )
    assert "Written in Lexicon by grace" in html and response["HX-Trigger"] == "governance-changed"
    event = AuditEvent.objects.get(action="asset.description_set")
    assert event.before == {"text": dbt_text, "origin": "dbt"}
    assert event.after["origin"] == "person" and event.after["text"].startswith("Tickets **with**")


def test_a_persons_description_survives_reingest_and_empty_text_restores_dbts(
    example_catalog, reviewer
):
    mrr = Asset.objects.get(kind="model", name="fct_mrr")
    asset_description_set(
        asset=mrr, text="Monthly recurring revenue, per account and month.", actor=reviewer
    )
    ingest_ok(EXAMPLE_TARGET)
    assert AssetDescription.objects.get(asset=mrr).text.startswith("Monthly recurring revenue")
    asset_description_set(asset=mrr, text="  ", actor=reviewer)
    assert not AssetDescription.objects.exists()
    assert list(
        AuditEvent.objects.filter(action="asset.description_set")
        .values_list("after__origin", flat=True)
        .order_by("id")
    ) == ["person", "dbt"]


def test_a_written_description_satisfies_the_policy(example_catalog, reviewer):
    asset = Asset.objects.get(kind="model", name="fct_mrr")
    Asset.objects.filter(pk=asset.pk).update(description="")
    asset.refresh_from_db()
    assert not {c.name: c for c in policy_checks(asset)}["description"].passed
    asset_description_set(asset=asset, text="Written here.", actor=reviewer)
    check = {c.name: c for c in policy_checks(asset)}["description"]
    assert check.passed and "Lexicon" in check.detail


def test_a_viewer_reads_but_cannot_edit(example_catalog, viewer_client):
    mrr = Asset.objects.get(kind="model", name="fct_mrr")
    html = viewer_client.get(
        reverse("governance:asset_description", args=[mrr.pk])
    ).content.decode()
    assert "From dbt." in html and "Edit description" not in html
