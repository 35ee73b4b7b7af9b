from django.urls import path

from tickets import views

# The same write views serve the signed-in pages (/tickets/<pk>/…) and the anonymous
# requester's secret tracking link (/t/<token>/…), which emails already reference.
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.ticket_new, name="ticket_new"),
    path("my/", views.my_tickets, name="my_tickets"),
    path("my/claim/", views.guest_claim_request, name="guest_claim_request"),
    path("my/claim/<str:token>/", views.guest_claim, name="guest_claim"),
    path("console/", views.console, name="console"),
    path("console/counts/", views.console_counts, name="console_counts"),
    path("console/live/", views.console_live, name="console_live"),
    path("console/bulk/", views.console_bulk, name="console_bulk"),
    path("console/priority/", views.priority_preview, name="priority_preview"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/created/", views.ticket_created, name="ticket_created"),
    path("tickets/<int:pk>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/presence/", views.ticket_presence, name="ticket_presence"),
    path("tickets/<int:pk>/tracking-link/", views.tracking_link_renew, name="tracking_link_renew"),
    path("tickets/<int:pk>/attach/", views.ticket_attach, name="ticket_attach"),
    path("tickets/<int:pk>/do/<slug:name>/", views.ticket_transition, name="ticket_transition"),
    path(
        "tickets/<int:pk>/files/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("t/<str:token>/", views.tracking, name="tracking"),
    path("t/<str:token>/created/", views.ticket_created, name="tracking_created"),
    path("t/<str:token>/reply/", views.ticket_reply, name="tracking_reply"),
    path("t/<str:token>/tracking-link/", views.tracking_link_renew, name="tracking_link_revoke"),
    path("t/<str:token>/language/", views.tracking_language, name="tracking_language"),
    path("t/<str:token>/attach/", views.ticket_attach, name="tracking_attach"),
    path("t/<str:token>/do/<slug:name>/", views.ticket_transition, name="tracking_transition"),
    path(
        "t/<str:token>/files/<int:attachment_id>/",
        views.attachment_download,
        name="tracking_download",
    ),
]
