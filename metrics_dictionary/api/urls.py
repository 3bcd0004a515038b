from django.urls import path

from metrics_dictionary.api import views

urlpatterns = [
    path(
        "assets/<int:pk>/deprecate/", views.AssetDeprecateView.as_view(), name="api-asset-deprecate"
    ),
    path("metrics/", views.MetricListCreateView.as_view(), name="api-metric-list"),
    path("metrics/<slug:slug>/", views.MetricDetailView.as_view(), name="api-metric-detail"),
    path(
        "metrics/<slug:slug>/deprecate/", views.DeprecateView.as_view(), name="api-metric-deprecate"
    ),
    path(
        "metrics/<slug:slug>/versions/",
        views.VersionListCreateView.as_view(),
        name="api-metric-versions",
    ),
    path(
        "metrics/<slug:slug>/versions/<int:number>/",
        views.VersionDetailView.as_view(),
        name="api-metric-version",
    ),
    path(
        "metrics/<slug:slug>/versions/<int:number>/diff/",
        views.VersionDiffView.as_view(),
        name="api-metric-version-diff",
    ),
    path(
        "metrics/<slug:slug>/versions/<int:number>/impact/",
        views.VersionImpactView.as_view(),
        name="api-metric-version-impact",
    ),
    path(
        "metrics/<slug:slug>/versions/<int:number>/submit/",
        views.SubmitView.as_view(),
        name="api-metric-version-submit",
    ),
    path(
        "metrics/<slug:slug>/versions/<int:number>/approve/",
        views.ApproveView.as_view(),
        name="api-metric-version-approve",
    ),
    path(
        "metrics/<slug:slug>/versions/<int:number>/request-changes/",
        views.RequestChangesView.as_view(),
        name="api-metric-version-request-changes",
    ),
    path(
        "metrics/<slug:slug>/versions/<int:number>/reject/",
        views.RejectView.as_view(),
        name="api-metric-version-reject",
    ),
    path("webhooks/", views.WebhookListCreateView.as_view(), name="api-webhook-list"),
    path("webhooks/<int:pk>/", views.WebhookDetailView.as_view(), name="api-webhook-detail"),
    path(
        "webhooks/<int:pk>/rotate-secret/",
        views.WebhookRotateSecretView.as_view(),
        name="api-webhook-rotate-secret",
    ),
    path(
        "webhooks/<int:pk>/deliveries/",
        views.WebhookDeliveryListView.as_view(),
        name="api-webhook-deliveries",
    ),
]
