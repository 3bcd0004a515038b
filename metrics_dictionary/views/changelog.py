"""The change log: the release-notes page (approved changes, deprecations, retirements)
and its Atom feed, with the same filters (domain, owner, tier)."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_GET

from lexicon_core.htmx import render_page
from lexicon_core.permissions import view_allows
from lexicon_core.tiers import Tier
from metrics_dictionary import selectors
from metrics_dictionary.models import ChangeLogEntry


@view_allows("catalog.view")
@require_GET
def changes(request: HttpRequest) -> HttpResponse:
    """Release notes: approved changes and deprecations, filtered by domain, owner, tier."""
    filters = {k: request.GET.get(k, "") for k in ("domain", "owner", "tier")}
    entries = selectors.changelog(
        domain=filters["domain"], owner=filters["owner"], tier=filters["tier"] or None
    )
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return render_page(
        request,
        "metrics_dictionary/changes.html",
        {
            "page": Paginator(entries, 30).get_page(request.GET.get("page")),
            "filters": filters,
            "domains": [d for d, _n in selectors.metric_facets()["domain"]],
            "owners": selectors.metric_owner_names(),
            "tiers": Tier.choices,
            "feed_url": reverse("metrics_dictionary:changelog_feed")
            + (f"?{query}" if query else ""),
        },
        fragment="metrics_dictionary/partials/_changes_list.html",
    )


class ChangeLogFeed(Feed):
    """Filters as on the change-log page: ``?domain=&owner=&tier=``.

    Readers authenticate like the pages (session); the catalog is not public."""

    feed_type = Atom1Feed
    title = "Lexicon metric dictionary: changes"
    subtitle = "Approved metric changes and deprecations"

    def __call__(self, request: HttpRequest, *args, **kwargs):
        return view_allows("catalog.view")(super().__call__)(request, *args, **kwargs)

    def get_object(self, request: HttpRequest, *args, **kwargs) -> dict[str, str]:
        return {k: request.GET.get(k, "") for k in ("domain", "owner", "tier")}

    def link(self, obj: dict[str, str]) -> str:
        return reverse("metrics_dictionary:index")

    def items(self, obj: dict[str, str]):
        return selectors.changelog(
            domain=obj["domain"], owner=obj["owner"], tier=obj["tier"] or None, limit=50
        )

    def item_title(self, item: ChangeLogEntry) -> str:
        return item.title

    def item_description(self, item: ChangeLogEntry) -> str:
        return item.summary

    def item_link(self, item: ChangeLogEntry) -> str:
        if item.metric_id and item.version_id:
            return reverse(
                "metrics_dictionary:version", args=[item.metric.slug, item.version.number]
            )
        if item.metric_id:
            return reverse("metrics_dictionary:metric", args=[item.metric.slug])
        return reverse("catalog:asset", args=[item.asset_id])

    def item_guid(self, item: ChangeLogEntry) -> str:
        return f"lexicon-changelog-{item.pk}"

    def item_pubdate(self, item: ChangeLogEntry):
        return item.at

    def item_updateddate(self, item: ChangeLogEntry):
        return item.at

    def item_author_name(self, item: ChangeLogEntry) -> str:
        return item.actor.username if item.actor else "Lexicon"
