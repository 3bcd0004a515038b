import csv
import io

import pytest
from rest_framework.test import APIClient

from catalog.models import Asset, Column
from lineage.column_lineage import column_lineage_build

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_asset_lineage_by_direction_and_depth(example_catalog, viewer):
    mrr = Asset.objects.get(name="fct_mrr", kind="model")
    client = _client(viewer)
    down1 = client.get(f"/api/v1/lineage/{mrr.pk}/", {"direction": "down", "depth": 1}).json()
    names1 = {n["name"] for n in down1["nodes"] if n["distance"] == 1}
    assert "customer_churn" in names1
    assert all(n["distance"] >= 0 for n in down1["nodes"])
    down3 = client.get(f"/api/v1/lineage/{mrr.pk}/", {"direction": "down", "depth": 3}).json()
    assert len(down3["nodes"]) >= len(down1["nodes"])
    up = client.get(f"/api/v1/lineage/{mrr.pk}/", {"direction": "up", "depth": 5}).json()
    assert any(n["kind"] == "source" for n in up["nodes"])
    ids = {n["id"] for n in up["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in up["edges"])
    assert client.get(f"/api/v1/lineage/{mrr.pk}/", {"depth": 9}).status_code == 400
    assert client.get(f"/api/v1/lineage/{mrr.pk}/", {"direction": "sideways"}).status_code == 400


def test_column_lineage_api_follows_columns(example_catalog, viewer):
    run = example_catalog
    column_lineage_build(project=run.project, processes=1)
    email = Column.objects.get(asset__name="dim_users", asset__kind="model", name_key="email")
    body = (
        _client(viewer)
        .get(f"/api/v1/lineage/columns/{email.pk}/", {"direction": "up", "depth": 3})
        .json()
    )
    assert {(n["asset"], n["column"]) for n in body["nodes"]} >= {
        ("stg_app_users", "email"),
        ("app_users", "email"),
    }


def test_impact_page_and_csv(example_catalog, viewer_client):
    mrr = Asset.objects.get(name="fct_mrr", kind="model")
    html = viewer_client.get(f"/lineage/assets/{mrr.pk}/impact/").content.decode()
    assert "customer_churn" in html and "Executive KPI" in html
    response = viewer_client.get(f"/lineage/assets/{mrr.pk}/impact/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {"customer_churn"} <= {r["name"] for r in rows}
    assert any(r["kind"] == "exposure" for r in rows)
    assert all(int(r["depth"]) >= 1 for r in rows)


def test_lineage_reads_need_a_role(outsider):
    assert _client(outsider).get("/api/v1/lineage/1/").status_code == 403


def test_column_impact_lists_downstream_columns(example_catalog, viewer_client):
    run = example_catalog
    column_lineage_build(project=run.project, processes=1)
    email = Column.objects.get(asset__name="stg_app_users", name_key="email")
    html = viewer_client.get(
        f"/lineage/assets/{email.asset_id}/impact/", {"column": email.pk}
    ).content.decode()
    assert "dim_users" in html and ">email<" in html
    response = viewer_client.get(
        f"/lineage/assets/{email.asset_id}/impact/", {"column": email.pk, "format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert ("dim_users", "email") in {(r["name"], r["column"]) for r in rows}
