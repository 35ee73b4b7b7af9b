"""The demo data shows the product and does not flood the outbox (issue 16 item 18)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from breaches.models import Breach
from csat.models import SatisfactionSurvey
from incidents.selectors import status_page
from kb.models import Article, Visibility
from kb.selectors import article_suggestions
from notifications.models import Notification
from sla.sweep import sla_sweep
from tickets.management.commands.seed_demo import STORIES
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", tickets=27, stdout=StringIO())


def test_the_demo_history_is_written_without_notifications(demo):
    assert Notification.objects.count() == 0

    # The running demo's first sweep finds no old warning or breach left to email about.
    sla_sweep(now=timezone.now())
    assert Notification.objects.count() == 0

    # Running it again keeps the demo as it is.
    before = (Ticket.objects.count(), Article.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Ticket.objects.count(), Article.objects.count()) == before
    assert Notification.objects.count() == 0


def test_the_demo_shows_the_product(demo):
    """Articles in both languages, satisfaction answers, major incidents, a breach record,
    categories that fit their tickets and varied resolutions."""
    public = Article.objects.filter(visibility=Visibility.PUBLIC)
    assert set(public.values_list("language", flat=True)) == {"en", "es"}
    # Suggestions appear while a customer types, in either language.
    assert article_suggestions(user=None, text="The VPN disconnects")
    assert article_suggestions(user=None, text="La VPN se desconecta")

    assert SatisfactionSurvey.objects.filter(answered_at__isnull=False).count() >= 2
    assert {s.rating for s in SatisfactionSurvey.objects.exclude(rating=None)} > {5}
    page = status_page()
    assert [incident.title for incident in page.current] == ["Email delivery is delayed"]
    assert page.history  # and one resolved, in the status page's history
    assert Breach.objects.filter(risk_level="risk").count() == 1

    categories = {}
    for story in STORIES:
        for title in story.title:
            categories[title] = story.category
    tickets = Ticket.objects.filter(title__in=categories).select_related("category__parent")
    assert tickets.filter(category__isnull=False).count() > 10
    for ticket in tickets.exclude(category=None):
        path = (ticket.category.parent.name, ticket.category.name)
        assert path == categories[ticket.title], ticket.title
    resolved = Ticket.objects.filter(status__in=[Status.RESOLVED, Status.CLOSED])
    summaries = set(resolved.values_list("resolution_summary", flat=True))
    assert len(summaries) >= 5
