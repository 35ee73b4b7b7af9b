from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.channel_list, name="channels"),
    path("new/", views.channel_edit, name="channel-new"),
    path("<int:pk>/", views.channel_edit, name="channel-edit"),
    path("<int:pk>/delete/", views.channel_delete, name="channel-delete"),
    path("<int:pk>/test/", views.channel_test, name="channel-test"),
]
