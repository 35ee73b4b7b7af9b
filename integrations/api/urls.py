from django.urls import path

from integrations.api.views import AlertmanagerWebhookView, EventsV2View

urlpatterns = [
    path("alertmanager/", AlertmanagerWebhookView.as_view(), name="integrations-alertmanager"),
    path("events/v2/", EventsV2View.as_view(), name="integrations-events-v2"),
]
