from rest_framework.routers import DefaultRouter

from incidents.api.views import MajorIncidentViewSet

router = DefaultRouter()
router.register("major-incidents", MajorIncidentViewSet, basename="major-incident")

urlpatterns = router.urls
