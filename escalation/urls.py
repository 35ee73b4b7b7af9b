from django.urls import path

from escalation import views

app_name = "escalation"

urlpatterns = [
    path("groups/", views.group_list, name="groups"),
    path("groups/new/", views.group_edit, name="group-new"),
    path("groups/<int:pk>/", views.group_edit, name="group-edit"),
    path("rota/", views.rota, name="rota"),
    path("rota/new/", views.shift_edit, name="shift-new"),
    path("rota/<int:pk>/", views.shift_edit, name="shift-edit"),
    path("rota/<int:pk>/delete/", views.shift_delete, name="shift-delete"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_edit, name="rule-new"),
    path("rules/<int:pk>/", views.rule_edit, name="rule-edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule-delete"),
    path("tickets/<int:ticket_id>/deescalate/", views.ticket_deescalate, name="deescalate"),
    path("tickets/<int:ticket_id>/reassign/", views.ticket_reassign, name="reassign"),
    path("tickets/<int:ticket_id>/raise/", views.ticket_raise, name="raise"),
    path("tickets/<int:ticket_id>/calls/", views.call_schedule, name="call-schedule"),
    path(
        "tickets/<int:ticket_id>/calls/<int:call_id>/reschedule/",
        views.call_reschedule,
        name="call-reschedule",
    ),
    path(
        "tickets/<int:ticket_id>/calls/<int:call_id>/cancel/",
        views.call_cancel,
        name="call-cancel",
    ),
]
