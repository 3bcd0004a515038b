from django.urls import path

from metrics_dictionary.views import (
    changelog,
    deprecations,
    fragments,
    metrics,
    proposals,
    reviews,
    webhooks,
)

app_name = "metrics_dictionary"
urlpatterns = [
    # Pages.
    path("", metrics.index, name="index"),
    path("new/", proposals.propose, name="propose"),
    path("validate/", proposals.validate, name="validate"),
    path("inbox/", reviews.inbox, name="inbox"),
    path("changes/", changelog.changes, name="changes"),
    # Outgoing webhooks (admins).
    path("webhooks/", webhooks.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/", webhooks.webhook_detail, name="webhook"),
    path("webhooks/<int:pk>/edit/", webhooks.webhook_edit, name="webhook_edit"),
    path(
        "webhooks/<int:pk>/rotate-secret/",
        webhooks.webhook_rotate_secret,
        name="webhook_rotate_secret",
    ),
    path("webhooks/<int:pk>/ping/", webhooks.webhook_ping, name="webhook_ping"),
    path("webhooks/<int:pk>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    # Change log Atom feed.
    path("changes/feed.atom", changelog.ChangeLogFeed(), name="changelog_feed"),
    # Banner fragments (htmx): the catalog asset page includes the asset one by URL name.
    path(
        "assets/<int:pk>/deprecation-banner/",
        fragments.asset_deprecation_banner,
        name="asset_deprecation_banner",
    ),
    path("m/<slug:slug>/banner/", fragments.metric_banner, name="metric_banner"),
    # The metric page, its versions and actions.
    path("m/<slug:slug>/", metrics.metric_detail, name="metric"),
    path("m/<slug:slug>/compare/", metrics.compare, name="compare"),
    path("m/<slug:slug>/propose/", proposals.propose_version, name="propose_version"),
    path("m/<slug:slug>/comments/", metrics.comment_add, name="comment_add"),
    path("m/<slug:slug>/deprecate/", deprecations.deprecate, name="deprecate"),
    path(
        "m/<slug:slug>/deprecation/withdraw/",
        deprecations.deprecation_withdraw,
        name="deprecation_withdraw",
    ),
    path("m/<slug:slug>/settings/", metrics.metric_settings, name="settings"),
    path("m/<slug:slug>/v/<int:number>/", reviews.version_detail, name="version"),
    path("m/<slug:slug>/v/<int:number>/edit/", proposals.version_edit, name="version_edit"),
    path("m/<slug:slug>/v/<int:number>/submit/", reviews.version_submit, name="version_submit"),
    path("m/<slug:slug>/v/<int:number>/decide/", reviews.version_decide, name="version_decide"),
]
