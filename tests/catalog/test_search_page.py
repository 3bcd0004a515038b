"""The search page: facet counts from the search itself, links that toggle a filter."""

from __future__ import annotations

import re

import pytest

from catalog.models import Asset

pytestmark = pytest.mark.django_db


def _facet_links(html: str) -> dict[str, tuple[str, int, bool]]:
    """label -> (href, count, active) of every facet value on the page."""
    links = {}
    for href, attrs, label, count in re.findall(
        r'<li><a href="([^"]+)" hx-get="[^"]+" hx-target="#search-results" '
        r'hx-push-url="true"([^>]*)>([^<]+)</a> '
        r'<span class="count">(\d+)</span>',
        html,
    ):
        links[label] = (href.replace("&amp;", "&"), int(count), "facet-on" in attrs)
    return links


def test_facet_counts_match_the_results_and_links_toggle_filters(example_catalog, viewer_client):
    html = viewer_client.get("/search/", {"q": "customer"}).content.decode()
    links = _facet_links(html)
    href, models, active = links["Model"]
    assert not active and "kind=model" in href and "q=customer" in href
    # the count is what the filtered search then shows
    filtered = viewer_client.get(href).content.decode()
    assert f"{models} result" in filtered
    names = re.findall(r'class="result-title">(.*?)</a>', filtered)
    kinds = {
        a.kind for a in Asset.objects.filter(name__in=[re.sub(r"</?mark>", "", n) for n in names])
    }
    assert kinds == {"model"}
    # on the filtered page the value is active and its link removes the filter again
    href_off, _count, active = _facet_links(filtered)["Model"]
    assert active and "kind=model" not in href_off and "q=customer" in href_off


def test_a_filter_with_no_value_does_not_narrow_the_search(example_catalog, viewer_client):
    plain = viewer_client.get("/search/", {"q": "customer"}).content.decode()
    empty = viewer_client.get(
        "/search/", {"q": "customer", "kind": "", "tier": ""}
    ).content.decode()
    count = re.search(r"(\d+) results? for", plain).group(1)
    assert f"{count} result" in empty
