from django.urls import path

from breaches import views

urlpatterns = [
    path("breaches/", views.breach_list, name="breach-list"),
    path("breaches/new/", views.breach_create, name="breach-create"),
    path("breaches/register.csv", views.breach_register_csv, name="breach-register-csv"),
    path("breaches/<int:breach_id>/", views.breach_detail, name="breach-detail"),
    path("breaches/<int:breach_id>/edit/", views.breach_edit, name="breach-edit"),
    path("breaches/<int:breach_id>/export/", views.breach_export, name="breach-export"),
    path(
        "breaches/<int:breach_id>/evidence/<int:attachment_id>/",
        views.breach_evidence_download,
        name="breach-evidence",
    ),
    path(
        "breaches/<int:breach_id>/actions/<str:name>/",
        views.breach_action,
        name="breach-action",
    ),
    path("breaches/flag/<int:ticket_id>/", views.ticket_flag, name="breach-flag-ticket"),
]
