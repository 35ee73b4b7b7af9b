"""Where people land and what the customer's portal home shows (issue 16 items 14, 16)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidents import services as incident_services
from kb.models import Article, Visibility
from tests.e2e.test_story import PASSWORD
from tickets import services
from tickets.models import Level, Status

pytestmark = pytest.mark.django_db


def sign_in(user) -> tuple[Client, str]:
    """Sign in through the form, as a person does; returns the client and where they landed."""
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    return client, response.redirect_chain[-1][0]


def test_a_customer_lands_on_the_portal_home(requester, make_ticket):
    make_ticket(title="Printer jams")

    client, landed = sign_in(requester)

    assert landed == "/"
    html = client.get("/").content.decode()
    assert 'data-testid="portal"' in html
    assert 'action="/kb/"' in html  # search the knowledge base
    assert 'href="/new/"' in html  # a new request
    assert "Printer jams" in html  # their open tickets
    assert "All services are operating normally." in html


def test_the_security_officer_lands_on_the_breach_register(security_officer):
    _client, landed = sign_in(security_officer)

    assert landed == "/breaches/"


def test_support_staff_still_land_on_the_console(agent_l1, manager):
    assert sign_in(agent_l1)[1] == "/console/"
    assert sign_in(manager)[1] == "/console/"


def test_the_portal_shows_open_tickets_status_and_articles_in_the_customers_language(
    requester, other_requester, agent_l1, make_ticket, django_assert_num_queries
):
    mine = make_ticket(title="VPN drops")
    closed = make_ticket(Status.CLOSED, title="Old and closed")
    make_ticket(title="Someone else's", requester=other_requester)
    outage = make_ticket(Status.IN_DIAGNOSIS, title="Mail outage")
    outage = services.ticket_update(
        ticket=outage, actor=agent_l1, impact=Level.HIGH, urgency=Level.HIGH, reason="Outage"
    )
    incident_services.major_incident_declare(
        ticket=outage,
        actor=agent_l1,
        public_title="Email delivery is delayed",
        message="Investigating.",
        next_update_due_at=timezone.now() + timedelta(minutes=30),
    )
    for title, language, visibility in [
        ("Reset your password", "en", Visibility.PUBLIC),
        ("Restablecer la contraseña", "es", Visibility.PUBLIC),
        ("Gateway runbook", "en", Visibility.INTERNAL),
    ]:
        Article.objects.create(
            title=title, body="…", language=language, visibility=visibility, author=agent_l1
        )
    client = Client()
    client.force_login(requester)

    # 1 session, 2 user, 3 their organisation (does it share tickets? the visibility gate),
    # 4 the open tickets, 5 the current major incidents, 6 the articles.
    with django_assert_num_queries(6):
        html = client.get("/").content.decode()

    assert mine.title in html
    assert closed.title not in html
    assert "Someone else" not in html
    assert "Email delivery is delayed" in html
    assert "All services are operating normally." not in html
    assert "Reset your password" in html
    assert "Restablecer" not in html  # another language
    assert "Gateway runbook" not in html  # internal


def test_attachment_limits_are_shown_before_upload(requester, settings):
    settings.ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024
    settings.ATTACHMENT_ALLOWED_EXTENSIONS = ["png", "pdf"]
    client = Client()
    client.force_login(requester)

    html = client.get("/new/").content.decode()

    assert "Up to 2.0\xa0MB per file. Types: png, pdf." in html
    assert 'accept=".png,.pdf"' in html
    assert 'data-max-bytes="2097152"' in html
    assert "data-dropzone" in html


def test_the_ticket_pages_show_the_attachment_limits(requester, agent_l1, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    for user in (requester, agent_l1):
        client = Client()
        client.force_login(user)
        html = client.get(f"/tickets/{ticket.pk}/").content.decode()
        # The reply box and the "add files" form both say it.
        assert html.count('data-testid="attachment-limits"') == 2


def _shortcuts(client: Client, url: str) -> str:
    html = client.get(url).content.decode()
    return html.split('data-testid="general-shortcuts"', 1)[1].split("</div>", 1)[0]


def test_the_shortcuts_help_lists_only_keys_that_work_for_the_reader(
    requester, agent_l1, client_for
):
    # A customer was offered "c: Go to the console" (a 404 for them), "/: Search tickets" and
    # j / k / Enter over rows their pages do not have; staff were offered "n: New request",
    # whose link they do not have.
    for client, url in ((client_for(requester), "/"), (Client(), "/new/")):
        keys = _shortcuts(client, url)
        assert "New request" in keys and "Write a reply" in keys
        assert "Go to the console" not in keys and "Search tickets" not in keys

    keys = _shortcuts(client_for(agent_l1), "/console/")
    assert "Go to the console" in keys and "Search tickets" in keys
    assert "New request" not in keys
