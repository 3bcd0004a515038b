from django.urls import include, path
from rest_framework.routers import DefaultRouter

from catalog.api import views

router = DefaultRouter()
router.register("assets", views.AssetViewSet, basename="api-asset")

urlpatterns = [
    path("", include(router.urls)),
    path("search/", views.SearchView.as_view(), name="api-search"),
    path("ingest/dbt/", views.DbtIngestView.as_view(), name="api-ingest-dbt"),
    path("ingest/runs/<int:pk>/", views.IngestRunDetailView.as_view(), name="api-ingest-run"),
]
