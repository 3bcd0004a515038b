from django.urls import path

from metrics_dictionary import feeds, fragments, views

app_name = "metrics_dictionary"
urlpatterns = [
    path("", views.index, name="index"),
    # Change log: page (pages helper) and Atom feed.
    path("changes/feed.atom", feeds.ChangeLogFeed(), name="changelog_feed"),
    # Banner fragments (htmx): the catalog asset page includes the asset one by URL name.
    path("assets/<int:pk>/deprecation-banner/", fragments.asset_deprecation_banner, name="asset_deprecation_banner"),
    path("m/<slug:slug>/banner/", fragments.metric_banner, name="metric_banner"),
    # Metric page and one version (pages helper replaces these placeholder views).
    path("m/<slug:slug>/", views.metric_detail, name="metric"),
    path("m/<slug:slug>/v/<int:number>/", views.version_detail, name="version"),
]
