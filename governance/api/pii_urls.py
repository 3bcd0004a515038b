from django.urls import path

from governance.api import pii_views

urlpatterns = [
    path(
        "governance/scorecard/", pii_views.ScorecardView.as_view(), name="api-governance-scorecard"
    ),
    path(
        "governance/review-queue/",
        pii_views.ReviewQueueView.as_view(),
        name="api-governance-review-queue",
    ),
    path(
        "columns/<int:column_id>/classifications/",
        pii_views.ColumnClassificationsView.as_view(),
        name="api-column-classifications",
    ),
]
