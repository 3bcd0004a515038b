from django.urls import path

from metrics_dictionary import views

app_name = "metrics_dictionary"
urlpatterns = [path("", views.index, name="index")]
