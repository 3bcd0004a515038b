from django.urls import path

from lineage.api import views

urlpatterns = [
    path("lineage/explain/", views.ExplainView.as_view(), name="api-lineage-explain"),
    path("lineage/<int:asset_id>/", views.AssetLineageView.as_view(), name="api-lineage-asset"),
    path(
        "lineage/columns/<int:column_id>/",
        views.ColumnLineageView.as_view(),
        name="api-lineage-column",
    ),
    path("ingest/querylog/", views.QueryLogIngestView.as_view(), name="api-ingest-querylog"),
    path("usage/<int:asset_id>/", views.AssetUsageView.as_view(), name="api-usage-asset"),
]
