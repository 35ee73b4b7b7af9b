from rest_framework.routers import DefaultRouter

from ola.api.views import OlaTargetViewSet

router = DefaultRouter()
router.register("targets", OlaTargetViewSet, basename="ola-target")

urlpatterns = router.urls
