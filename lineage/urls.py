from django.urls import path

from lineage import views

app_name = "lineage"
urlpatterns = [
    path("", views.index, name="index"),
    path("explain/", views.explain_query, name="explain"),
    path("unused/", views.unused_assets_page, name="unused"),
    path("querylog/upload/", views.querylog_upload, name="querylog_upload"),
    path("querylog/runs/<int:pk>/", views.querylog_run_panel, name="querylog_run_panel"),
    path("assets/<int:pk>/panel/", views.asset_panel, name="asset_panel"),
    path("assets/<int:pk>/usage/", views.asset_usage_panel, name="asset_usage_panel"),
    path("assets/<int:pk>/impact/", views.asset_impact, name="asset_impact"),
    path("assets/<int:pk>/graph/", views.asset_graph_page, name="asset_graph"),
]
