from django.urls import path

from notifications import views

urlpatterns = [
    path("preferences/", views.preferences, name="notification_preferences"),
    path("templates/", views.templates, name="notification_templates"),
    path("", views.inbox, name="notification_inbox"),
    path("unread/", views.bell_count, name="notification_bell_count"),
    path("read-all/", views.mark_all_read, name="notification_mark_all_read"),
    path("<int:pk>/read/", views.mark_read, name="notification_mark_read"),
]
