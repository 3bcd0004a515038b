from django.urls import path

from governance.api.views import assets, audit, pii, policies, scorecard

urlpatterns = [
    path("audit/", audit.AuditEventListView.as_view(), name="api-audit"),
    path("governance/policies/", policies.TierPolicyListView.as_view(), name="api-policies"),
    path("governance/policies/<int:tier>/", policies.TierPolicyView.as_view(), name="api-policy"),
    path(
        "governance/assets/<int:pk>/policy-checks/",
        assets.AssetPolicyChecksView.as_view(),
        name="api-asset-policy-checks",
    ),
    path(
        "governance/projects/<int:pk>/dbt-meta-patch/",
        assets.DbtMetaPatchView.as_view(),
        name="api-dbt-meta-patch",
    ),
    path(
        "governance/scorecard/", scorecard.ScorecardView.as_view(), name="api-governance-scorecard"
    ),
    path(
        "governance/review-queue/",
        pii.ReviewQueueView.as_view(),
        name="api-governance-review-queue",
    ),
    path(
        "columns/<int:column_id>/classifications/",
        pii.ColumnClassificationsView.as_view(),
        name="api-column-classifications",
    ),
]
