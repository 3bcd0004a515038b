from django.urls import path

from metrics_dictionary import feeds, fragments, views

app_name = "metrics_dictionary"
urlpatterns = [
    # Pages.
    path("", views.index, name="index"),
    path("new/", views.propose, name="propose"),
    path("validate/", views.validate, name="validate"),
    path("inbox/", views.inbox, name="inbox"),
    path("changes/", views.changes, name="changes"),
    # Outgoing webhooks (admins).
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook"),
    path("webhooks/<int:pk>/edit/", views.webhook_edit, name="webhook_edit"),
    path(
        "webhooks/<int:pk>/rotate-secret/",
        views.webhook_rotate_secret,
        name="webhook_rotate_secret",
    ),
    path("webhooks/<int:pk>/ping/", views.webhook_ping, name="webhook_ping"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    # Change log Atom feed.
    path("changes/feed.atom", feeds.ChangeLogFeed(), name="changelog_feed"),
    # Banner fragments (htmx): the catalog asset page includes the asset one by URL name.
    path(
        "assets/<int:pk>/deprecation-banner/",
        fragments.asset_deprecation_banner,
        name="asset_deprecation_banner",
    ),
    path("m/<slug:slug>/banner/", fragments.metric_banner, name="metric_banner"),
    # The metric page, its versions and actions.
    path("m/<slug:slug>/", views.metric_detail, name="metric"),
    path("m/<slug:slug>/compare/", views.compare, name="compare"),
    path("m/<slug:slug>/propose/", views.propose_version, name="propose_version"),
    path("m/<slug:slug>/comments/", views.comment_add, name="comment_add"),
    path("m/<slug:slug>/deprecate/", views.deprecate, name="deprecate"),
    path(
        "m/<slug:slug>/deprecation/withdraw/",
        views.deprecation_withdraw,
        name="deprecation_withdraw",
    ),
    path("m/<slug:slug>/settings/", views.metric_settings, name="settings"),
    path("m/<slug:slug>/v/<int:number>/", views.version_detail, name="version"),
    path("m/<slug:slug>/v/<int:number>/edit/", views.version_edit, name="version_edit"),
    path("m/<slug:slug>/v/<int:number>/submit/", views.version_submit, name="version_submit"),
    path("m/<slug:slug>/v/<int:number>/decide/", views.version_decide, name="version_decide"),
]
