from django.urls import path

from governance.views import assets, audit, home, pii, policies, scorecard, teams, tokens

app_name = "governance"
urlpatterns = [
    path("", home.index, name="index"),
    # an asset's governance (fragments of the asset page)
    path("assets/<int:pk>/history/", assets.asset_history_panel, name="asset_history_panel"),
    path("assets/<int:pk>/owners/", assets.asset_owners_fragment, name="asset_owners"),
    path("assets/<int:pk>/owners/edit/", assets.asset_owners_edit, name="asset_owners_edit"),
    path("assets/<int:pk>/tier/edit/", assets.asset_tier_edit, name="asset_tier_edit"),
    path("assets/<int:pk>/policy/", assets.asset_policy_panel, name="asset_policy_panel"),
    path("assets/<int:pk>/description/", assets.asset_description_panel, name="asset_description"),
    path(
        "assets/<int:pk>/description/edit/",
        assets.asset_description_edit,
        name="asset_description_edit",
    ),
    path("mine/", assets.my_assets, name="my_assets"),
    path("projects/<int:pk>/dbt-meta-patch.yml", assets.dbt_meta_patch, name="dbt_meta_patch"),
    # tier policies
    path("policies/", policies.policies, name="policies"),
    path("policies/<int:tier>/edit/", policies.policy_edit, name="policy_edit"),
    # audit log
    path("audit/", audit.audit_log, name="audit_log"),
    path("audit.csv", audit.audit_csv, name="audit_csv"),
    # teams and roles
    path("teams/", teams.teams, name="teams"),
    path("teams/new/", teams.team_save, name="team_create"),
    path("teams/<int:pk>/", teams.team_save, name="team_update"),
    path("roles/", teams.roles, name="roles"),
    # PII review
    path("pii/", pii.review_queue_page, name="review_queue"),
    path("pii/decide/", pii.review_queue_decide, name="review_queue_decide"),
    path("columns/<int:pk>/", pii.column_detail, name="column"),
    path("columns/<int:pk>/classify/", pii.column_classify, name="column_classify"),
    path("assets/<int:pk>/columns-pii/", pii.asset_columns_pii, name="asset_columns_pii"),
    # scorecard
    path("scorecard/", scorecard.scorecard_page, name="scorecard"),
    path("scorecard/<slug:key>/", scorecard.scorecard_drilldown, name="scorecard_drilldown"),
    # API tokens
    path("tokens/", tokens.api_tokens, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", tokens.api_token_revoke_view, name="api_token_revoke"),
]
