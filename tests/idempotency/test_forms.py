"""Issue 16, item 2: Post/Redirect/Get on the forms that write, and one write per form render
(an idempotency key in a hidden field, enforced by a unique constraint)."""

import re

import pytest
from django.test import Client

from idempotency.models import IdempotencyKey
from tickets.models import Comment, Status, Ticket

pytestmark = pytest.mark.django_db

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _keys(html: str) -> list[str]:
    return KEY.findall(html)


def test_every_writing_form_of_a_ticket_page_carries_a_fresh_key(requester, agent_l2, make_ticket):
    ticket = make_ticket(Status.ESCALATED)
    agent_page = _client(agent_l2).get(f"/tickets/{ticket.pk}/").content.decode()
    # The reply, each transition's and the upload form: each its own key.
    assert len(_keys(agent_page)) >= 3
    assert len(set(_keys(agent_page))) == len(_keys(agent_page))
    again = _client(agent_l2).get(f"/tickets/{ticket.pk}/").content.decode()
    assert not set(_keys(again)) & set(_keys(agent_page))  # fresh on every render
    assert _keys(_client(requester).get("/new/").content.decode())


def test_the_new_request_form_redirects_to_a_thank_you_page_a_reload_does_not_refile(
    requester, category
):
    client = _client(requester)
    key = _keys(client.get("/new/").content.decode())[0]
    form = {
        "title": "Printer jams",
        "description": "Every page.",
        "urgency": "low",
        "category": category.pk,
        "idempotency_key": key,
    }

    response = client.post("/new/", form)

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.pk}/created/"
    for _reload in range(2):
        page = client.get(response["Location"])
        assert page.status_code == 200 and ticket.reference in page.content.decode()
    # The browser's "resend the form?" (the same render posted again): nothing filed twice.
    again = client.post("/new/", form)
    assert again.status_code == 302 and again["Location"] == response["Location"]
    assert Ticket.objects.count() == 1


def test_an_anonymous_thank_you_page_shows_the_tracking_link_by_get(client):
    response = client.post(
        "/new/",
        {
            "name": "Ana",
            "email": "ana@example.com",
            "title": "Cannot log in",
            "description": "Password rejected.",
            "urgency": "medium",
            "idempotency_key": "k-anon-1",
        },
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/t/{ticket.tracking_token}/created/"
    page = client.get(response["Location"]).content.decode()
    assert f"/t/{ticket.tracking_token}/" in page and ticket.reference in page
    assert client.get(f"/tickets/{ticket.pk}/created/").status_code == 302  # sign in first


def test_a_reply_sent_twice_with_one_key_is_stored_once(requester, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = _client(requester)
    form = {"reply-body": "Still broken.", "idempotency_key": "reply-key-1"}

    first = client.post(f"/tickets/{ticket.pk}/reply/", form)
    second = client.post(f"/tickets/{ticket.pk}/reply/", form)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Comment.objects.filter(ticket=ticket, body="Still broken.").count() == 1
    followed = client.get(second["Location"]).content.decode()
    assert "already sent" in followed
    # Another render (another key) is another reply.
    client.post(f"/tickets/{ticket.pk}/reply/", {**form, "idempotency_key": "reply-key-2"})
    assert Comment.objects.filter(ticket=ticket, body="Still broken.").count() == 2


def test_a_form_error_frees_the_key_for_the_corrected_form(requester, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = _client(requester)

    empty = client.post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "", "idempotency_key": "k"})
    assert empty.status_code == 400
    assert not IdempotencyKey.objects.exists()
    fixed = client.post(
        f"/tickets/{ticket.pk}/reply/", {"reply-body": "Details.", "idempotency_key": "k"}
    )
    assert fixed.status_code == 302
    assert Comment.objects.filter(ticket=ticket, body="Details.").count() == 1


def test_a_transition_submitted_twice_runs_once_and_says_so(agent_l2, make_ticket):
    ticket = make_ticket(Status.ESCALATED)
    takes = ticket.events.filter(transition="take").count()
    client = _client(agent_l2)
    form = {"idempotency_key": "take-1"}

    client.post(f"/tickets/{ticket.pk}/do/take/", form)
    second = client.post(f"/tickets/{ticket.pk}/do/take/", form)

    page = client.get(second["Location"]).content.decode()
    assert "already sent" in page
    assert "Someone else changed this ticket first" not in page
    assert ticket.events.filter(transition="take").count() == takes + 1


def test_keys_belong_to_their_user(requester, agent_l1, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    form = {"reply-body": "Me too.", "idempotency_key": "shared"}
    _client(requester).post(f"/tickets/{ticket.pk}/reply/", form)
    assert IdempotencyKey.objects.get().owner == f"accounts.user:{requester.pk}"
    # The same value from another user is that user's own key: their reply is stored.
    _client(agent_l1).post(f"/tickets/{ticket.pk}/reply/", form)
    assert Comment.objects.filter(ticket=ticket, body="Me too.").count() == 2
