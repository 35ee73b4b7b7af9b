from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("sla/", views.dashboard_page, name="dashboard"),
    path("sla/export.csv", views.export_csv, name="export"),
    path("queues/", views.queue_health_page, name="queue_health"),
]
