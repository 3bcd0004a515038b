from django.urls import path

from catalog.api import views

urlpatterns = [
    path("ingest/dbt/", views.DbtIngestView.as_view(), name="api-ingest-dbt"),
    path("ingest/runs/<int:pk>/", views.IngestRunDetailView.as_view(), name="api-ingest-run"),
]
