from django.urls import path
from rest_framework.routers import SimpleRouter

from escalation.api import views

router = SimpleRouter()
router.register("escalation/groups", views.SupportGroupViewSet, basename="support-group")
router.register("escalation/shifts", views.OnCallShiftViewSet, basename="oncall-shift")
router.register("escalation/rules", views.RoutingRuleViewSet, basename="routing-rule")
router.register("calls", views.CallViewSet, basename="call")

urlpatterns = [
    path("tickets/<int:ticket_id>/calls/", views.TicketCallsView.as_view(), name="ticket-calls"),
    path(
        "tickets/<int:ticket_id>/tiers/",
        views.TicketTimeInTierView.as_view(),
        name="ticket-time-in-tier",
    ),
    *router.urls,
]
