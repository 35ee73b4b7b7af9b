from django.urls import path

from savedviews import views

urlpatterns = [
    path("console/views/", views.saved_view_create, name="saved_view_create"),
    path("console/views/counts/", views.saved_view_counts_poll, name="saved_view_counts"),
    path("console/views/<int:pk>/", views.saved_view_update, name="saved_view_update"),
    path("console/views/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("console/views/<int:pk>/default/", views.saved_view_default, name="saved_view_default"),
]
