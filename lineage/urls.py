from django.urls import path

from lineage import views

app_name = "lineage"
urlpatterns = [path("", views.index, name="index")]
