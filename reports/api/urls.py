from django.urls import path

from reports.api.views import DashboardView, QueueHealthView

urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="api-reports-dashboard"),
    path("queues/", QueueHealthView.as_view(), name="api-reports-queues"),
]
