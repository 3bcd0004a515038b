from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("search/suggest/", views.search_suggest, name="search_suggest"),
    path("catalog/", views.browse, name="browse"),
    path("catalog/recent/", views.recently_changed, name="recent"),
    path("catalog/removed/", views.removed_assets, name="removed"),
    path("assets/<int:pk>/", views.asset_detail, name="asset"),
    path("ingest/", views.ingest_runs, name="ingest_runs"),
    path("ingest/upload/", views.ingest_upload, name="ingest_upload"),
    path("ingest/<int:pk>/", views.ingest_run_detail, name="ingest_run"),
]
