from django.urls import path

from governance import views

app_name = "governance"
urlpatterns = [
    path("", views.index, name="index"),
    path("assets/<int:pk>/history/", views.asset_history_panel, name="asset_history_panel"),
    path("assets/<int:pk>/owners/", views.asset_owners_fragment, name="asset_owners"),
]
