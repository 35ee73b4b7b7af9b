from rest_framework.routers import SimpleRouter

from notifications.api import views

router = SimpleRouter()
router.register("notifications", views.InAppNotificationViewSet, basename="in-app-notification")

urlpatterns = router.urls
