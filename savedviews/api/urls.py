from rest_framework.routers import SimpleRouter

from savedviews.api.views import SavedViewViewSet

router = SimpleRouter()
router.register("saved-views", SavedViewViewSet, basename="saved-view")

urlpatterns = router.urls
