import pytest
from django.utils import timezone

from catalog.models import Asset
from tests.factories import EXAMPLE_TARGET, example_json, ingest_ok, write_json

pytestmark = pytest.mark.django_db


def test_browse_tree_and_schema_filter(example_catalog, viewer_client):
    html = viewer_client.get("/catalog/").content.decode()
    assert "saas_analytics" in html and ">marts<" in html
    marts = viewer_client.get("/catalog/", {"database": "saas", "schema": "marts"}).content.decode()
    assert "fct_mrr" in marts and "stg_accounts</a>" not in marts


def test_my_assets_match_my_email(client, django_user_model):
    from django.contrib.auth.models import Group

    alice = django_user_model.objects.create_user("alice", email="alice@saas.example", password="x")
    alice.groups.add(Group.objects.get_or_create(name="viewer")[0])
    client.force_login(alice)
    ingest_ok(EXAMPLE_TARGET)
    html = client.get("/catalog/", {"owner": "me"}).content.decode()
    assert "fct_mrr</a>" in html and "dim_users</a>" not in html


def test_tier_filter_lists_tier_one_only(example_catalog, viewer_client):
    html = viewer_client.get("/catalog/", {"tier": "1", "kind": "model"}).content.decode()
    assert "customer_churn</a>" in html and "dim_users</a>" not in html


def test_recently_changed_and_removed_pages(example_catalog, viewer_client, tmp_path):
    manifest = example_json()
    uid = next(u for u, n in manifest["nodes"].items() if n["name"] == "fct_support_tickets")
    del manifest["nodes"][uid]
    run = ingest_ok(write_json(tmp_path / "manifest.json", manifest))
    recent = viewer_client.get("/catalog/recent/").content.decode()
    assert "fct_support_tickets" in recent and "Removed" in recent
    removed = viewer_client.get("/catalog/removed/").content.decode()
    assert "fct_support_tickets" in removed and f"#{run.pk}" in removed
    assert Asset.objects.get(unique_id=uid).removed_at <= timezone.now()
