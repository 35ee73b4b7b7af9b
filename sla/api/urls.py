from rest_framework.routers import DefaultRouter

from sla.api.views import CalendarViewSet, SlaPolicyViewSet

router = DefaultRouter()
router.register("policies", SlaPolicyViewSet, basename="sla-policy")
router.register("calendars", CalendarViewSet, basename="sla-calendar")

urlpatterns = router.urls
