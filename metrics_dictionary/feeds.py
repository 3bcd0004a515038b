"""The Atom feed of the change log (approved changes, deprecations, retirements)."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from metrics_dictionary.models import ChangeLogEntry
from metrics_dictionary.selectors import changelog


class ChangeLogFeed(Feed):
    """Filters as on the change-log page: ``?domain=&owner=&tier=``.

    Readers authenticate like the pages (session); the catalog is not public."""

    feed_type = Atom1Feed
    title = "Lexicon metric dictionary: changes"
    subtitle = "Approved metric changes and deprecations"

    def __call__(self, request: HttpRequest, *args, **kwargs):
        from lexicon_core.permissions import view_allows

        return view_allows("catalog.view")(super().__call__)(request, *args, **kwargs)

    def get_object(self, request: HttpRequest, *args, **kwargs) -> dict[str, str]:
        return {k: request.GET.get(k, "") for k in ("domain", "owner", "tier")}

    def link(self, obj: dict[str, str]) -> str:
        return reverse("metrics_dictionary:index")

    def items(self, obj: dict[str, str]):
        return changelog(
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
