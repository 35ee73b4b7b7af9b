from django.urls import path

from csat import views

urlpatterns = [
    path("", views.csat_report, name="csat-report"),
    path("tickets/<int:ticket_id>/", views.survey_for_ticket, name="csat-ticket"),
    path("track/<str:token>/", views.survey_for_tracking, name="csat-tracking"),
    path("<str:token>/", views.survey_by_token, name="csat-survey"),
]
