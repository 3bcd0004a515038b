from django.urls import path

from governance.api import views

urlpatterns = [
    path("audit/", views.AuditEventListView.as_view(), name="api-audit"),
    path("governance/policies/", views.TierPolicyListView.as_view(), name="api-policies"),
    path("governance/policies/<int:tier>/", views.TierPolicyView.as_view(), name="api-policy"),
    path(
        "governance/assets/<int:pk>/policy-checks/",
        views.AssetPolicyChecksView.as_view(),
        name="api-asset-policy-checks",
    ),
    path(
        "governance/projects/<int:pk>/dbt-meta-patch/",
        views.DbtMetaPatchView.as_view(),
        name="api-dbt-meta-patch",
    ),
]
