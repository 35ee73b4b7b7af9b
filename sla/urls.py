from django.urls import path

from sla import views

app_name = "sla"

urlpatterns = [
    path("forecast/", views.forecast_page, name="forecast"),
    path("forecast.csv", views.forecast_csv, name="forecast_csv"),
]
