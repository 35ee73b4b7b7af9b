from django.urls import path
from rest_framework.routers import DefaultRouter

from sla.api.forecast import ForecastView
from sla.api.views import CalendarViewSet, SlaPolicyViewSet

router = DefaultRouter()
router.register("policies", SlaPolicyViewSet, basename="sla-policy")
router.register("calendars", CalendarViewSet, basename="sla-calendar")

urlpatterns = [
    path("forecast/", ForecastView.as_view(), name="api-sla-forecast"),
    *router.urls,
]
