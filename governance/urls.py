from django.urls import path

from governance import views

app_name = "governance"
urlpatterns = [
    path("", views.index, name="index"),
    path("assets/<int:pk>/history/", views.asset_history_panel, name="asset_history_panel"),
    path("assets/<int:pk>/owners/", views.asset_owners_fragment, name="asset_owners"),
    # ---- policies, teams, audit (issue 8a)
    path("assets/<int:pk>/owners/edit/", views.asset_owners_edit, name="asset_owners_edit"),
    path("assets/<int:pk>/tier/edit/", views.asset_tier_edit, name="asset_tier_edit"),
    path("assets/<int:pk>/policy/", views.asset_policy_panel, name="asset_policy_panel"),
    path("assets/<int:pk>/description/", views.asset_description_panel, name="asset_description"),
    path(
        "assets/<int:pk>/description/edit/",
        views.asset_description_edit,
        name="asset_description_edit",
    ),
    path("mine/", views.my_assets, name="my_assets"),
    path("policies/", views.policies, name="policies"),
    path("policies/<int:tier>/edit/", views.policy_edit, name="policy_edit"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit.csv", views.audit_csv, name="audit_csv"),
    path("teams/", views.teams, name="teams"),
    path("teams/new/", views.team_save, name="team_create"),
    path("teams/<int:pk>/", views.team_save, name="team_update"),
    path("roles/", views.roles, name="roles"),
    path("projects/<int:pk>/dbt-meta-patch.yml", views.dbt_meta_patch, name="dbt_meta_patch"),
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

# ---- API tokens (issue 13)
from governance import token_views  # noqa: E402

urlpatterns += [
    path("tokens/", token_views.api_tokens, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", token_views.api_token_revoke_view, name="api_token_revoke"),
]
