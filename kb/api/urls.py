from django.urls import path
from rest_framework.routers import DefaultRouter

from kb.api.views import ArticleSuggestView, ArticleViewSet, SimilarIncidentsView, TicketLinkView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("kb/articles", ArticleViewSet, basename="kb-article")

urlpatterns = [
    path("kb/suggest/", ArticleSuggestView.as_view(), name="api-kb-suggest"),
    path("kb/similar/<int:ticket_id>/", SimilarIncidentsView.as_view(), name="api-kb-similar"),
    path("kb/links/", TicketLinkView.as_view(), name="api-kb-links"),
    *router.urls,
]
