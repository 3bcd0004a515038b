from django.urls import path

from lineage.api import views

urlpatterns = [path("lineage/explain/", views.ExplainView.as_view(), name="api-lineage-explain")]
