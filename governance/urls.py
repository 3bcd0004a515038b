from django.urls import path

from governance import views

app_name = "governance"
urlpatterns = [
    path("", views.index, name="index"),
    path("assets/<int:pk>/history/", views.asset_history_panel, name="asset_history_panel"),
    path("assets/<int:pk>/owners/", views.asset_owners_fragment, name="asset_owners"),
]

# ---- PII classification and scorecard (issue 8b)
from governance import pii_views  # noqa: E402

urlpatterns += [
    path("pii/", pii_views.review_queue_page, name="review_queue"),
    path("pii/decide/", pii_views.review_queue_decide, name="review_queue_decide"),
    path("columns/<int:pk>/", pii_views.column_detail, name="column"),
    path("columns/<int:pk>/classify/", pii_views.column_classify, name="column_classify"),
    path("assets/<int:pk>/columns-pii/", pii_views.asset_columns_pii, name="asset_columns_pii"),
    path("scorecard/", pii_views.scorecard_page, name="scorecard"),
    path("scorecard/<slug:key>/", pii_views.scorecard_drilldown, name="scorecard_drilldown"),
]
