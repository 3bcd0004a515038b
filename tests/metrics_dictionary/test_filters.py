"""The directory's filters are one FilterSet: the Metrics page and the API list the same
metrics for the same query string, and refuse an invalid value with the same sentence."""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from governance.models import Team
from metrics_dictionary.models import Metric
from metrics_dictionary.services.proposals import metric_propose
from tests.factories import token_client
from tests.metrics_dictionary.conftest import DEFINITION

pytestmark = pytest.mark.django_db

API = "/api/v1/metrics/"


@pytest.fixture
def directory(example_manifest_catalog, analyst, metric_owner):
    """The example project's dbt metrics, plus two proposals: one owned by the metric owner,
    one by a team she belongs to; one of the dbt metrics needs attention."""
    team = Team.objects.create(name="Finance analytics")
    team.members.add(metric_owner)
    metric_propose(
        name="Invoiced revenue",
        definition=DEFINITION,
        actor=analyst,
        tier=1,
        domain="Finance",
        owner_users=[metric_owner],
    )
    metric_propose(
        name="Team churn", definition=DEFINITION, actor=analyst, tier=2, owner_teams=[team]
    )
    Metric.objects.update(needs_attention=False)
    Metric.objects.filter(pk=Metric.objects.filter(defined_in_dbt=True).first().pk).update(
        needs_attention=True
    )
    return Metric.objects.count()


def _page(client, params: dict[str, str]):
    return client.get(reverse("metrics_dictionary:index"), params)


def _page_slugs(response) -> list[str]:
    return re.findall(r'data-metric="([^"]+)"', response.content.decode())


def _api_slugs(api, params: dict[str, str]) -> list[str]:
    response = api.get(f"{API}?{urlencode(params)}")
    assert response.status_code == 200, response.json()
    return [m["slug"] for m in response.json()["results"]]


QUERIES = [
    {},
    {"q": "churn"},
    {"q": "revenue", "tier": "1"},
    {"tier": "2"},
    {"status": "approved"},
    {"status": "draft", "domain": "finance"},
    {"owner": "olivia"},
    {"owner": "Finance analytics"},
    {"mine": "1"},
    {"mine": "1", "owner": "nobody"},  # "mine" wins over an owner, as the page shows
    {"attention": "1"},
    {"attention": "0"},
]


def test_the_same_query_string_lists_the_same_metrics_on_the_page_and_in_the_api(
    directory, client, metric_owner
):
    client.force_login(metric_owner)
    api = token_client(metric_owner)
    seen = set()
    for params in QUERIES:
        page = _page(client, params)
        assert page.status_code == 200, params
        slugs = _page_slugs(page)
        assert slugs == _api_slugs(api, params), params
        seen.add(tuple(slugs))
    # The filters do narrow: the queries above give many different answers, none empty by luck.
    assert len(seen) >= 8
    assert len(_page_slugs(_page(client, {}))) == directory
    assert _api_slugs(api, {"mine": "1"}) == ["invoiced-revenue", "team-churn"]
    assert _api_slugs(api, {"status": "draft", "domain": "finance"}) == ["invoiced-revenue"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tier": "7"}, "tier"),
        ({"tier": "one"}, "tier"),
        ({"status": "pending"}, "status"),
        ({"q": "revenue", "status": "approvedd"}, "status"),
    ],
)
def test_an_invalid_value_is_refused_with_the_same_sentence_on_the_page_and_in_the_api(
    directory, client, viewer, params, field
):
    api = token_client(viewer).get(f"{API}?{urlencode(params)}")
    assert api.status_code == 400
    body = api.json()
    assert body["kind"] == "invalid" and list(body["errors"]) == [field]
    assert body["detail"].startswith(f"Invalid filter — {field}: Select a valid choice.")

    client.force_login(viewer)
    page = _page(client, params)
    assert page.status_code == 400
    assert htmllib.escape(body["detail"], quote=False) in page.content.decode()
    assert _page_slugs(page) == []  # no list that looks filtered but is not
    fragment = client.get(reverse("metrics_dictionary:index"), params, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 400 and "data-refusal" in fragment.content.decode()
