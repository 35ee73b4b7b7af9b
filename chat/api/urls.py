from rest_framework.routers import SimpleRouter

from chat.api import views

router = SimpleRouter()
router.register("chat/channels", views.ChatChannelViewSet, basename="chat-channel")

urlpatterns = router.urls
