from django.urls import path

from kb import views

urlpatterns = [
    path("", views.article_list, name="kb-list"),
    path("new/", views.article_create, name="kb-article-create"),
    path("suggest/", views.article_suggest, name="kb-suggest"),
    path("<int:article_id>/", views.article_detail, name="kb-article"),
    path("<int:article_id>/edit/", views.article_edit, name="kb-article-edit"),
    path("tickets/<int:ticket_id>/similar/", views.ticket_similar, name="kb-ticket-similar"),
    path("tickets/<int:ticket_id>/link/", views.ticket_link, name="kb-ticket-link"),
]
