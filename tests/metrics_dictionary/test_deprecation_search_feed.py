"""Deprecation (metrics and catalog assets), retirement, search, change log and its Atom feed."""

from __future__ import annotations

from datetime import date, timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from catalog.models import Asset, SearchDocument
from catalog.search import search_asset_ids
from metrics_dictionary.errors import Conflict, Forbidden
from metrics_dictionary.models import ChangeLogEntry, Metric, MetricStatus, VersionState
from metrics_dictionary.selectors import changelog, metric_banners
from metrics_dictionary.services.deprecations import (
    asset_deprecate,
    metric_deprecate,
    metrics_retire_due,
)
from metrics_dictionary.services.proposals import metric_propose, metric_version_propose
from metrics_dictionary.services.reviews import metric_version_approve, metric_version_submit
from metrics_dictionary.tasks import retire_sunset_metrics
from tests.factories import EXAMPLE_MANIFEST, ingest_ok

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def published(name, analyst, owner, **kwargs) -> Metric:
    version = metric_propose(
        name=name,
        actor=analyst,
        owner_users=[owner],
        definition={
            "formula": "SUM(amount_usd)",
            "description": f"{name}: what we billed",
            **kwargs.pop("definition", {}),
        },
        **kwargs,
    )
    metric_version_submit(version=version, actor=analyst)
    metric_version_approve(version=version, actor=owner)
    return Metric.objects.get(pk=version.metric_id)


def test_an_approved_lexicon_metric_is_found_by_the_catalog_search(analyst, metric_owner):
    metric = published("Billed revenue", analyst, metric_owner)
    assert metric.asset is not None and metric.asset.kind == "metric"
    page = search_asset_ids("billed revenue")
    assert page.asset_ids[0] == metric.asset_id
    document = SearchDocument.objects.get(asset=metric.asset)
    assert document.label == "Billed revenue" and "what we billed" in document.summary


def test_a_deprecated_metric_ranks_last_and_carries_a_banner(analyst, metric_owner):
    old = published("Revenue gross", analyst, metric_owner)
    new = published("Revenue net", analyst, metric_owner)
    assert set(search_asset_ids("revenue").asset_ids[:2]) == {old.asset_id, new.asset_id}
    metric_deprecate(
        metric=old,
        reason="Gross hides refunds.",
        sunset_date=date(2031, 1, 1),
        replacement=new,
        actor=metric_owner,
    )
    assert search_asset_ids("revenue").asset_ids[:2] == [new.asset_id, old.asset_id]
    old.refresh_from_db()
    assert old.status == MetricStatus.DEPRECATED
    banner = metric_banners(old)[0]
    assert (
        banner.title == "Deprecated"
        and "Gross hides refunds." in banner.message
        and "2031-01-01" in banner.message
    )
    assert banner.link_text == "Use Revenue net instead"


def test_deprecating_needs_the_right_role(analyst, metric_owner):
    metric = published("Revenue", analyst, metric_owner)
    with pytest.raises(Forbidden):
        metric_deprecate(metric=metric, reason="x", actor=analyst)


def test_after_the_sunset_date_the_metric_is_retired_with_a_tombstone(
    analyst, metric_owner, client, viewer
):
    old = published("Revenue gross", analyst, metric_owner)
    new = published("Revenue net", analyst, metric_owner)
    draft = metric_version_propose(metric=old, definition={"unit": "EUR"}, actor=analyst)
    metric_deprecate(
        metric=old,
        reason="Gross hides refunds.",
        sunset_date=date.today() - timedelta(days=1),
        replacement=new,
        actor=metric_owner,
    )
    assert metrics_retire_due(today=date.today() - timedelta(days=3)) == []  # not yet
    assert retire_sunset_metrics.delay().get() == [old.pk]
    assert metrics_retire_due() == []  # safe to run twice
    old.refresh_from_db()
    draft.refresh_from_db()
    assert old.status == MetricStatus.RETIRED and old.retired_at
    assert draft.state == VersionState.REJECTED
    assert old.current_version.state == VersionState.APPROVED  # still resolvable, definition kept
    banner = metric_banners(old)[0]
    assert banner.title == "Retired" and banner.link_url == reverse(
        "metrics_dictionary:metric", args=[new.slug]
    )
    client.force_login(viewer)
    fragment = client.get(reverse("metrics_dictionary:metric_banner", args=[old.slug])).text
    assert "Retired" in fragment and f'href="{banner.link_url}"' in fragment
    with pytest.raises(Conflict, match="retired"):
        metric_version_propose(metric=old, definition={"unit": "EUR"}, actor=analyst)
    assert ChangeLogEntry.objects.filter(metric=old, kind="retired").exists()


def test_a_catalog_asset_takes_the_same_notice(
    example_manifest_catalog, reviewer, analyst, client, viewer
):
    mart = Asset.objects.get(unique_id="model.saas_analytics.fct_revenue")
    with pytest.raises(Forbidden):
        asset_deprecate(asset=mart, reason="x", actor=analyst)
    replacement = Asset.objects.get(unique_id="model.saas_analytics.fct_mrr")
    asset_deprecate(
        asset=mart,
        reason="Replaced by the MRR mart.",
        sunset_date=date(2031, 6, 30),
        replacement_asset=replacement,
        actor=reviewer,
    )
    assert SearchDocument.objects.get(asset=mart).deprecated
    client.force_login(viewer)
    page = client.get(reverse("catalog:asset", args=[mart.pk])).text
    banner_url = reverse("metrics_dictionary:asset_deprecation_banner", args=[mart.pk])
    assert banner_url in page  # the asset page loads the banner fragment by URL
    assert "dbt marks this" not in page  # the notice is a person's, not dbt's
    banner = client.get(banner_url).text
    assert "Replaced by the MRR mart." in banner and "2031-06-30" in banner
    assert reverse("catalog:asset", args=[replacement.pk]) in banner
    # A re-ingest rebuilds the search document from dbt, but the notice still ranks it last.
    ingest_ok(EXAMPLE_MANIFEST.parent / "manifest.json")
    assert SearchDocument.objects.get(asset=mart).deprecated
    assert not client.get(
        reverse("metrics_dictionary:asset_deprecation_banner", args=[replacement.pk])
    ).text.strip()


def test_changelog_filters_and_atom_feed(analyst, metric_owner, second_owner, client, viewer):
    finance = published("Revenue", analyst, metric_owner, domain="Finance", tier=2)
    published("Weekly actives", analyst, second_owner, domain="Product")
    metric_deprecate(metric=finance, reason="Use net revenue.", actor=metric_owner)
    assert [e.kind for e in changelog(domain="finance")] == ["deprecated", "approved"]
    assert [e.metric.name for e in changelog(owner="oscar")] == ["Weekly actives"]
    assert [e.title for e in changelog(tier=2)] == ["Revenue deprecated", "Revenue v1 approved"]
    client.force_login(viewer)
    response = client.get(reverse("metrics_dictionary:changelog_feed"), {"domain": "Finance"})
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/atom+xml"
    )
    feed = ElementTree.fromstring(response.content)  # noqa: S314 - our own feed
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert titles == ["Revenue deprecated", "Revenue v1 approved"]
    link = feed.findall(f"{ATOM}entry")[1].find(f"{ATOM}link").get("href")
    assert link.endswith(reverse("metrics_dictionary:version", args=[finance.slug, 1]))
    client.logout()
    assert client.get(reverse("metrics_dictionary:changelog_feed")).status_code == 302


def test_search_results_flag_deprecated_items_and_metric_assets_link_to_the_dictionary(
    analyst, metric_owner, client, viewer
):
    old = published("Revenue gross", analyst, metric_owner)
    metric_deprecate(metric=old, reason="Gross hides refunds.", actor=metric_owner)
    client.force_login(viewer)
    results = client.get(reverse("catalog:search"), {"q": "revenue gross"}).text
    assert (
        reverse("catalog:asset", args=[old.asset_id]) in results and ">deprecated</span>" in results
    )
    banner = client.get(
        reverse("metrics_dictionary:asset_deprecation_banner", args=[old.asset_id])
    ).text
    assert "Deprecated metric." in banner
    assert f'href="{reverse("metrics_dictionary:metric", args=[old.slug])}"' in banner
