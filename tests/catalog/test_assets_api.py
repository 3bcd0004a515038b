"""GET /api/v1/assets/, /api/v1/assets/{id}/ and /api/v1/search/."""

import pytest
from rest_framework.test import APIClient

from catalog.models import Asset, Column, Project
from catalog.search import search_documents_sync
from tests.factories import token_client

pytestmark = pytest.mark.django_db


def test_a_viewer_lists_assets_with_the_search_page_filters(example_catalog, viewer):
    client = token_client(viewer)
    body = client.get("/api/v1/assets/", {"kind": "model", "tier": "1"}).json()
    names = {r["name"] for r in body["results"]}
    assert {"fct_mrr", "customer_churn"} <= names
    assert all(r["kind"] == "model" and r["tier"] == 1 for r in body["results"])
    pii = client.get("/api/v1/assets/", {"has_pii": "true", "kind": "model"}).json()
    assert "dim_users" in {r["name"] for r in pii["results"]}
    tagged = client.get("/api/v1/assets/", {"tag": "churn"}).json()
    assert {r["name"] for r in tagged["results"]} >= {"customer_churn"}
    stale = client.get("/api/v1/assets/", {"freshness": "warn"}).json()
    assert [r["name"] for r in stale["results"]] == ["support_tickets"]


def test_detail_has_columns_with_types_and_pii(example_catalog, viewer):
    users = Asset.objects.get(name="dim_users", kind="model")
    body = token_client(viewer).get(f"/api/v1/assets/{users.pk}/").json()
    email = next(c for c in body["columns"] if c["name"] == "email")
    assert email["dbt_pii"] == "contains_pii=true" and email["data_type"]
    assert body["relation"] == users.display_relation


def test_search_api_ranks_and_corrects(example_catalog, viewer):
    body = token_client(viewer).get("/api/v1/search/", {"q": "churn", "kind": "model"}).json()
    assert body["results"][0]["name"] == "customer_churn"
    assert all(r["kind"] == "model" for r in body["results"])


def test_reads_need_a_role(outsider):
    assert token_client(outsider).get("/api/v1/assets/").status_code == 403
    assert token_client(outsider).get("/api/v1/search/", {"q": "x"}).status_code == 403
    assert APIClient().get("/api/v1/assets/").status_code in (401, 403)


def test_removed_assets_are_hidden_unless_asked_for(viewer):
    project = Project.objects.create(name="p")
    from django.utils import timezone

    Asset.objects.create(
        project=project,
        unique_id="model.p.gone",
        kind="model",
        name="gone",
        removed_at=timezone.now(),
    )
    client = token_client(viewer)
    assert client.get("/api/v1/assets/").json()["count"] == 0
    assert client.get("/api/v1/assets/", {"include_removed": "true"}).json()["count"] == 1


@pytest.mark.parametrize("n_columns", [10, 500])
def test_query_counts_do_not_grow_with_columns_or_rows(
    viewer, n_columns, django_assert_max_num_queries
):
    project = Project.objects.create(name="wide")
    for i in range(30):
        asset = Asset.objects.create(
            project=project, unique_id=f"model.wide.m{i}", kind="model", name=f"m{i}"
        )
        Column.objects.bulk_create(
            [
                Column(asset=asset, name=f"c{j}", name_key=f"c{j}", position=j)
                for j in range(n_columns if i == 0 else 3)
            ]
        )
    search_documents_sync(Asset.objects.values_list("pk", flat=True))
    client = token_client(viewer)
    client.get("/api/v1/assets/")  # warm the token/user lookups
    first = Asset.objects.get(name="m0")
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/assets/").status_code == 200
    with django_assert_max_num_queries(6):
        assert len(client.get(f"/api/v1/assets/{first.pk}/").json()["columns"]) == n_columns
    # search: a savepoint with its planner setting around the facet query and up to four rank tiers
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/search/", {"q": "m1"}).status_code == 200


def test_openapi_schema_is_served_to_signed_in_users(viewer_client):
    response = viewer_client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/assets/" in response.content and b"/api/v1/ingest/dbt/" in response.content
    assert viewer_client.get("/api/docs/").status_code == 200
