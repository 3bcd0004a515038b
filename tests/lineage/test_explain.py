"""Explain a query: the CLI (single and JSONL batch), the API and the page give the same result."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

SQL = (
    "insert into mart.daily select o.day, sum(o.amount) as revenue from shop.orders o "
    "join shop.customers c on c.id = o.customer_id group by o.day"
)


def _cli(monkeypatch, stdin: str, *args: str) -> str:
    monkeypatch.setattr("sys.stdin", StringIO(stdin))
    out = StringIO()
    call_command("explain_lineage", *args, stdout=out)
    return out.getvalue()


def test_cli_prints_reads_writes_and_column_sources(monkeypatch):
    result = json.loads(_cli(monkeypatch, SQL, "--dialect", "postgres"))
    assert result["statement_type"] == "insert"
    assert result["reads"] == ["shop.customers", "shop.orders"] and result["writes"] == [
        "mart.daily"
    ]
    revenue = next(c for c in result["columns"] if c["target"]["column"] == "revenue")
    assert revenue["sources"] == [{"table": "shop.orders", "column": "amount"}]
    assert revenue["target"]["table"] == "mart.daily"


def test_cli_uses_the_schema_file_and_defaults(monkeypatch, tmp_path):
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"analytics.core.users": {"id": "int", "email": "text"}}))
    result = json.loads(
        _cli(
            monkeypatch,
            "select * from users",
            "--dialect",
            "snowflake",
            "--schema",
            str(schema),
            "--default-db",
            "analytics",
            "--default-schema",
            "core",
        )
    )
    assert {c["target"]["column"] for c in result["columns"]} == {"id", "email"}
    assert result["reads"] == ["analytics.core.users"]


def test_cli_batch_answers_every_line_even_bad_ones(monkeypatch, tmp_path):
    batch = tmp_path / "in.jsonl"
    batch.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "dialect": "bigquery", "sql": "select x from `p.d.t`"}),
                json.dumps({"id": "b", "dialect": "postgres", "sql": "select from where ((("}),
                "not json",
                json.dumps({"id": "d", "dialect": "klingon", "sql": "select 1"}),
            ]
        )
    )
    lines = [json.loads(line) for line in _cli(monkeypatch, "", "--jsonl", str(batch)).splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", None, "d"]
    assert lines[0]["reads"] == ["p.d.t"] and lines[0]["error"] is None
    assert lines[1]["error"] and lines[2]["error"].startswith(f"{batch}:3: not JSON")
    assert "unknown dialect 'klingon'" in lines[3]["error"]


def test_cli_refuses_an_unknown_dialect(monkeypatch):
    with pytest.raises(CommandError, match="unknown dialect"):
        _cli(monkeypatch, "select 1", "--dialect", "klingon")


@pytest.mark.django_db
def test_api_explains_and_needs_a_role(viewer, outsider):
    client = APIClient()
    client.force_authenticate(viewer)
    body = client.post(
        "/api/v1/lineage/explain/", {"sql": SQL, "dialect": "postgres"}, format="json"
    ).json()
    assert body["writes"] == ["mart.daily"]
    bad = client.post(
        "/api/v1/lineage/explain/", {"sql": "select 1", "dialect": "nope"}, format="json"
    )
    assert bad.status_code == 400 and "unknown dialect" in bad.json()["detail"]
    client.force_authenticate(outsider)
    assert client.post("/api/v1/lineage/explain/", {"sql": SQL}, format="json").status_code == 403


@pytest.mark.django_db
def test_the_page_shows_the_lineage_of_pasted_sql(viewer_client):
    html = viewer_client.post(
        "/lineage/explain/", {"sql": SQL, "dialect": "postgres"}
    ).content.decode()
    assert "mart.daily" in html and "shop.orders.amount" in html and "aggregate" in html
    broken = viewer_client.post(
        "/lineage/explain/",
        {"sql": "select from where (((", "dialect": "postgres"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Could not analyse this SQL" in broken
