from rest_framework.routers import DefaultRouter

from breaches.api.views import BreachViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("breaches", BreachViewSet, basename="breach")

urlpatterns = router.urls
