"""A form of the ticket page with errors is shown at its write address (/do/<name>/, /reply/,
/attach/). Switching the language there, signing in again with `?next=` that address or
pressing Enter in the address bar asks for it with a GET: that was a blank 405 page; it is the
ticket page now. Writes still take a POST only."""

import re

import pytest

from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db

WRITES = ["do/escalate/", "do/merge/", "reply/", "attach/"]


@pytest.mark.parametrize("write", WRITES)
def test_a_get_of_a_write_address_goes_to_the_ticket_page(client_for, agent_l1, make_ticket, write):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = client_for(agent_l1)
    response = client.get(f"/tickets/{ticket.pk}/{write}")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    assert client.put(f"/tickets/{ticket.pk}/{write}").status_code == 405


def test_through_the_tracking_link_too(client, make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    token = ticket.tracking_token
    response = client.get(f"/t/{token}/do/close/")
    assert response.status_code == 302
    assert response["Location"] == f"/t/{token}/"
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED  # a GET changes nothing


def test_switching_language_on_a_form_with_errors_shows_the_ticket(
    client_for, agent_l1, make_ticket
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = client_for(agent_l1)
    page = client.post(f"/tickets/{ticket.pk}/do/merge/", {"merge-into": "garbage"})
    assert page.status_code == 400
    assert f'name="next" value="/tickets/{ticket.pk}/do/merge/"' in page.content.decode()
    response = client.post(
        "/accounts/language/",
        {"language": "es", "next": f"/tickets/{ticket.pk}/do/merge/"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/tickets/{ticket.pk}/"
    assert ticket.reference in response.content.decode()


def test_signing_in_again_with_next_a_write_address_shows_the_ticket(
    client, requester, make_ticket
):
    ticket = make_ticket(Status.RESOLVED)
    response = client.get(f"/tickets/{ticket.pk}/do/close/", follow=True)
    assert response.status_code == 200  # the login page, then the ticket once signed in
    client.force_login(requester)
    response = client.get(f"/tickets/{ticket.pk}/do/close/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/tickets/{ticket.pk}/"


def test_a_reply_after_the_session_ended_asks_to_sign_in_again(client, make_ticket):
    """Was a 404 "page not found": the requester thought the ticket was gone."""
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    response = client.post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "Still broken"})
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/tickets/{ticket.pk}/"
    assert not ticket.comments.exists()


def test_a_reply_sent_after_signing_out_in_another_tab_comes_back_after_signing_in(
    client, agent_l1, make_ticket
):
    """An agent signed out in another tab (or the session timed out) while writing a note. Send
    led to the login page, then to the ticket with an empty box: the text was lost without a
    word. Now the login page says why, and the note is back in its box, as a note, once."""
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    response = client.post(
        f"/tickets/{ticket.pk}/reply/",
        {"reply-body": "Checked the logs for an hour", "reply-is_internal": "true"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/accounts/login/?next=/tickets/{ticket.pk}/"
    assert "your reply was not sent" in response.content.decode()

    client.force_login(agent_l1)  # Django's login keeps the anonymous session's data
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Checked the logs for an hour</textarea>" in body
    assert 'value="true" data-internal-toggle checked' in body
    assert "Your reply was not sent yet" in body
    assert not ticket.comments.exists()
    assert "Checked the logs" not in client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_a_reply_kept_while_signed_out_is_for_its_ticket_only(client, agent_l1, make_ticket):
    ticket, other = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.IN_DIAGNOSIS)
    client.post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "For the first ticket"})
    client.force_login(agent_l1)
    assert "For the first ticket" not in client.get(f"/tickets/{other.pk}/").content.decode()
    assert "For the first ticket" in client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_a_resolution_sent_after_signing_out_comes_back_open_after_signing_in(
    client, agent_l1, make_ticket
):
    """The summary of a resolution, sent after the session ended, was lost the same way: it
    comes back in the resolve form, open and not yet run; an action with nothing written
    is only "nothing was done"."""
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    sent = {"resolve-summary": "Replaced the router", "resolve-code": "fixed"}
    response = client.post(f"/tickets/{ticket.pk}/do/resolve/", sent, follow=True)
    assert "this form was not sent" in response.content.decode()

    client.force_login(agent_l1)
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Replaced the router</textarea>" in body
    assert re.search(r'<details open\s+data-action="resolve"', body)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS

    client.logout()
    response = client.post(f"/tickets/{ticket.pk}/do/take/", {}, follow=True)
    assert "nothing was done" in response.content.decode()


def test_a_kept_action_the_ticket_moved_past_still_gives_its_text_back(
    client, agent_l1, make_ticket
):
    """Signed out, an agent sent a resolution summary; a colleague resolved the ticket
    meanwhile. After signing in the page said "You cannot do this now." and the summary was
    gone: it is now in the resolve form, open, to copy, as a refusal from a stale tab gives it."""
    from tickets import services

    ticket = make_ticket(Status.IN_DIAGNOSIS)
    sent = {"resolve-summary": "Replaced the router", "resolve-code": "fixed"}
    client.post(f"/tickets/{ticket.pk}/do/resolve/", sent)
    services.ticket_resolve(ticket=ticket, actor=agent_l1, summary="Rebooted", code="fixed")

    client.force_login(agent_l1)
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "You cannot do this now." in body
    assert "Replaced the router</textarea>" in body
    ticket.refresh_from_db()
    assert ticket.resolution_summary == "Rebooted"


def test_a_kept_reopen_reason_of_a_ticket_closed_meanwhile_comes_back_in_the_reply_box(
    client, requester, make_ticket
):
    ticket = make_ticket(Status.RESOLVED)
    client.post(f"/tickets/{ticket.pk}/do/reopen/", {"reopen-reason": "It still crashes."})
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)  # closed automatically

    client.force_login(requester)
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "You cannot do this now." in body
    assert "It still crashes.</textarea>" in body


def test_what_a_signed_out_action_keeps_is_bounded(client, make_ticket):
    """Anyone can send this POST without signing in, and what it keeps is stored in the session
    table: a summary up to the text limit, other fields short, and only so many of them."""
    from tickets.views.base import MAX_KEPT_FIELDS, SHORT_FIELD_LENGTH, SIGNED_OUT_REPLY

    ticket = make_ticket(Status.IN_DIAGNOSIS)
    sent = {"resolve-summary": "Replaced the router", "resolve-code": "x" * 5000}
    sent |= {f"resolve-extra{n}": "y" * 5000 for n in range(100)}
    client.post(f"/tickets/{ticket.pk}/do/resolve/", sent)

    kept = client.session[SIGNED_OUT_REPLY]["data"]
    assert kept["resolve-summary"] == "Replaced the router"
    assert len(kept["resolve-code"]) == SHORT_FIELD_LENGTH
    assert len(kept) <= MAX_KEPT_FIELDS


def test_a_reply_refused_because_the_ticket_moved_on_keeps_the_text(
    client_for, agent_l1, make_ticket
):
    """An L1 agent writes a long reply; a colleague escalates the ticket meanwhile. The reply
    was refused and the page reloaded empty: the text was lost. Now the reason and the text."""
    from tickets import services

    ticket = make_ticket(Status.IN_DIAGNOSIS)
    colleague = client_for(agent_l1)
    services.ticket_escalate(ticket=ticket, actor=agent_l1, reason="Needs the network team")
    response = colleague.post(
        f"/tickets/{ticket.pk}/reply/", {"reply-body": "A long answer written for half an hour"}
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "A long answer written for half an hour" in body
    assert "The ticket is now: Escalated." in body
    assert not ticket.comments.exists()
