from django.urls import path

from incidents import views

urlpatterns = [
    path("incidents/", views.incident_list, name="major_incident_list"),
    path(
        "incidents/declare/<int:ticket_id>/", views.incident_declare, name="major_incident_declare"
    ),
    path("incidents/<int:pk>/", views.incident_detail, name="major_incident_detail"),
    path("incidents/<int:pk>/update/", views.incident_update, name="major_incident_update"),
    path("incidents/<int:pk>/link/", views.incident_link, name="major_incident_link"),
    path("status/", views.status, name="status_page"),
    path("status/feed/rss/", views.StatusFeed(), name="status_feed_rss"),
    path("status/feed/atom/", views.StatusAtomFeed(), name="status_feed_atom"),
]
