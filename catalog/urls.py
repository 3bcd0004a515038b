from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("catalog/", views.browse, name="browse"),
    path("assets/<int:pk>/", views.asset_detail, name="asset"),
    path("ingest/", views.ingest_runs, name="ingest_runs"),
    path("ingest/upload/", views.ingest_upload, name="ingest_upload"),
    path("ingest/<int:pk>/", views.ingest_run_detail, name="ingest_run"),
]
