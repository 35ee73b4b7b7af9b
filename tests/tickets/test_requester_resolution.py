"""Issue 16, item 6: a closed ticket still shows the requester how it was solved."""

import pytest
from django.test import Client
from django.utils import translation

from tickets import services
from tickets.models import ClosureCode, Status

pytestmark = pytest.mark.django_db


def test_a_closed_ticket_shows_its_resolution_summary_and_code(requester, make_ticket):
    ticket = make_ticket(Status.CLOSED)
    client = Client()
    client.force_login(requester)

    html = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert 'data-testid="resolution"' in html
    assert "Restarted the VPN gateway." in html
    assert "Closure code: Fixed" in html


def test_the_tracking_link_shows_it_too_in_spanish(requester, make_ticket):
    ticket = make_ticket(Status.CLOSED)
    with translation.override("es"):
        html = (
            Client(HTTP_ACCEPT_LANGUAGE="es").get(f"/t/{ticket.tracking_token}/").content.decode()
        )
    assert "Restarted the VPN gateway." in html
    assert "Cómo se resolvió" in html


def test_a_withdrawn_ticket_says_why_it_was_closed(requester, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.ticket_cancel(ticket=ticket, actor=requester, code=ClosureCode.WITHDRAWN)
    client = Client()
    client.force_login(requester)

    html = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "Why it was closed" in html
    assert "Closure code: Withdrawn by the requester" in html


def test_a_resolved_ticket_shows_the_code_beside_the_summary(requester, make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    client = Client()
    client.force_login(requester)

    html = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "Restarted the VPN gateway." in html and "Closure code: Fixed" in html


def test_the_emails_reopen_link_opens_the_reopen_form(requester, make_ticket):
    # The resolution email's "If it does not, tell us and we will reopen it: …/?do=reopen"
    # landed on the page with that form folded away, like any other visit.
    ticket = make_ticket(Status.RESOLVED)
    url = f"/t/{ticket.tracking_token}/"

    html = Client().get(f"{url}?do=reopen").content.decode()
    assert '<details open data-action="reopen">' in html

    html = Client().get(url).content.decode()
    assert 'data-action="reopen"' in html and 'open data-action="reopen"' not in html
    # Confirming is a button to press: a GET (a mail scanner following the link) closes nothing.
    Client().get(f"{url}?do=close")
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
