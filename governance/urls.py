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
    path("assets/<int:pk>/description/edit/", views.asset_description_edit, name="asset_description_edit"),
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
