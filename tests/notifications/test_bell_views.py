"""The bell in the page header, the inbox page and the API: one's own notifications only."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from notifications.models import InAppNotification, NotificationKind, NotificationPreference
from notifications.services import notification_enqueue
from tickets.models import Status

pytestmark = pytest.mark.django_db


def _ring(user, *causes, kind="assigned", ticket=None):
    for cause in causes:
        notification_enqueue(recipient=user, kind=kind, ticket=ticket, cause=cause)
    return list(InAppNotification.objects.filter(recipient=user).order_by("pk"))


# --- pages -------------------------------------------------------------------------------------


def test_every_page_carries_the_bell_for_a_signed_in_user_only(client, agent_l1):
    assert 'data-testid="bell"' not in client.get(reverse("kb-list")).content.decode()
    client.force_login(agent_l1)

    body = client.get(reverse("kb-list")).content.decode()

    assert 'data-testid="bell"' in body
    assert reverse("notification_bell_count") in body and 'hx-trigger="load"' in body


def test_the_bell_count_polls_itself_in_three_queries(
    client, agent_l1, django_assert_num_queries, settings
):
    settings.HELPDESK_BELL_POLL_SECONDS = 7
    _ring(agent_l1, "a", "b")
    client.force_login(agent_l1)

    # session, user, one COUNT
    with django_assert_num_queries(3):
        response = client.get(reverse("notification_bell_count"))

    body = response.content.decode()
    assert 'data-count="2"' in body and 'hx-trigger="every 7s"' in body
    assert "2 unread" in body


def test_the_bell_count_speaks_spanish(client, agent_l1):
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    _ring(agent_l1, "a")
    client.force_login(agent_l1)

    body = client.get(reverse("notification_bell_count"), HTTP_ACCEPT_LANGUAGE="es").content
    assert "1 sin leer" in body.decode()


def test_the_inbox_lists_only_one_s_own_with_links_in_constant_queries(
    client, make_ticket, agent_l1, agent_l2, django_assert_max_num_queries
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    _ring(agent_l1, *[f"c{n}" for n in range(12)], ticket=ticket)
    _ring(agent_l2, "theirs")
    client.force_login(agent_l1)

    # session, user, count, page of rows with their tickets (+ the messages framework)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("notification_inbox"))

    body = response.content.decode()
    assert body.count('data-testid="inbox-item"') == 12
    assert ticket.reference in body and "Ticket assigned to you" in body
    assert InAppNotification.objects.filter(recipient=agent_l2).count() == 1


def test_the_inbox_in_spanish(client, make_ticket, agent_l1):
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    _ring(agent_l1, "a")
    client.force_login(agent_l1)

    with translation.override("es"):
        body = client.get(reverse("notification_inbox"), HTTP_ACCEPT_LANGUAGE="es").content
    text = body.decode()
    assert "Sus notificaciones" in text and "Marcar todas como leídas" in text
    assert "Ticket asignado" in text or "asignado" in text


def test_opening_marks_read_and_goes_to_the_ticket(client, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    (row,) = _ring(agent_l1, "a", ticket=ticket)
    client.force_login(agent_l1)

    response = client.post(reverse("notification_mark_read", args=[row.pk]), {"open": "1"})

    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    row.refresh_from_db()
    assert row.read_at is not None


def test_opening_one_about_a_ticket_no_longer_in_one_s_queues_says_so(
    client, make_ticket, agent_l2
):
    """Escalated on or re-routed since: the ticket page was the site's 'We can't find that
    page', read as a broken notification. Now back where one was, with the reason."""
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # an L1 ticket: not agent_l2's to read
    (row,) = _ring(agent_l2, "a", ticket=ticket)
    client.force_login(agent_l2)

    response = client.post(
        reverse("notification_mark_read", args=[row.pk]),
        {"open": "1", "next": "/notifications/?unread=1"},
        follow=True,
    )

    assert response.redirect_chain == [("/notifications/?unread=1", 302)]
    expected = f"{ticket.reference} is no longer in your queues, so it cannot be opened."
    assert expected in response.content.decode()
    row.refresh_from_db()
    assert row.read_at is not None


def test_mark_read_and_mark_all_read_return_to_the_page_they_came_from(client, agent_l1):
    first, _second, _third = _ring(agent_l1, "a", "b", "c")
    client.force_login(agent_l1)

    response = client.post(
        reverse("notification_mark_read", args=[first.pk]), {"next": "/notifications/?unread=1"}
    )
    assert response["Location"] == "/notifications/?unread=1"
    assert "2 unread" in client.get(reverse("notification_bell_count")).content.decode()

    response = client.post(
        reverse("notification_mark_all_read"), {"next": "https://evil.example/"}, follow=True
    )
    assert response.redirect_chain[0][0] == reverse("notification_inbox")
    assert "Marked 2 notifications read." in response.content.decode()
    assert not InAppNotification.objects.filter(recipient=agent_l1, read_at__isnull=True).exists()


def test_another_s_notification_is_a_404_and_marking_needs_post_and_csrf(
    client, agent_l1, agent_l2
):
    (theirs,) = _ring(agent_l2, "x")
    client.force_login(agent_l1)

    assert client.post(reverse("notification_mark_read", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("notification_mark_read", args=[theirs.pk])).status_code == 405
    assert client.get(reverse("notification_mark_all_read")).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent_l2)
    assert strict.post(reverse("notification_mark_read", args=[theirs.pk])).status_code == 403
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_inbox_needs_a_login_and_the_bell_count_answers_401_without_one(client):
    response = client.get(reverse("notification_inbox"))
    assert response.status_code == 302 and "login" in response["Location"]

    # A 401 htmx does not swap in (a page left open after the session ended).
    response = client.get(reverse("notification_bell_count"))
    assert response.status_code == 401 and response.content == b""


# --- the preferences grid ----------------------------------------------------------------------


def test_the_grid_saves_each_channel_and_keeps_unmutable_email_locked(client, requester):
    client.force_login(requester)
    url = reverse("notification_preferences")

    body = client.get(url).content.decode()
    assert 'name="in_app-public_reply"' in body and 'name="in_app-status_changed"' in body
    assert 'name="in_app-ticket_created"' not in body  # email only
    assert 'name="in_app-assigned"' not in body  # an agent kind

    response = client.post(url, {"public_reply": "on", "in_app-status_changed": "on"})

    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=requester)
    assert NotificationKind.PUBLIC_REPLY not in preference.muted_kinds
    assert NotificationKind.STATUS_CHANGED not in preference.muted_kinds  # locked
    assert NotificationKind.PUBLIC_REPLY in preference.muted_in_app_kinds
    assert NotificationKind.STATUS_CHANGED not in preference.muted_in_app_kinds


def test_the_grid_in_spanish(client, agent_l1):
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    client.force_login(agent_l1)

    text = client.get(reverse("notification_preferences"), HTTP_ACCEPT_LANGUAGE="es").content
    body = text.decode()
    assert "Preferencias de notificación" in body and "En la aplicación" in body


# --- the API -----------------------------------------------------------------------------------


def test_api_lists_counts_and_marks_one_s_own(api, make_ticket, agent_l1, agent_l2):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    first, second = _ring(agent_l1, "a", "b", ticket=ticket)
    (theirs,) = _ring(agent_l2, "c")
    client = api(agent_l1)

    listed = client.get("/api/notifications/").json()
    assert [row["id"] for row in listed["results"]] == [second.pk, first.pk]
    assert listed["results"][0]["url"] == f"/tickets/{ticket.pk}/"
    assert listed["results"][0]["ticket_reference"] == ticket.reference
    assert listed["results"][0]["is_read"] is False
    assert client.get("/api/notifications/unread-count/").json() == {"unread": 2}

    marked = client.post(f"/api/notifications/{first.pk}/read/")
    assert marked.status_code == 200 and marked.json()["is_read"] is True
    unread = client.get("/api/notifications/?unread=1").json()["results"]
    assert [row["id"] for row in unread] == [second.pk]
    assert client.post("/api/notifications/read-all/").json() == {"marked": 1}
    assert client.get("/api/notifications/unread-count/").json() == {"unread": 0}

    assert client.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/api/notifications/{theirs.pk}/read/").status_code == 405
    assert api(agent_l2).get("/api/notifications/unread-count/").json() == {"unread": 1}


def test_api_needs_authentication(api):
    assert api(None).get("/api/notifications/").status_code in (401, 403)
    assert api(None).post("/api/notifications/read-all/").status_code in (401, 403)


def test_api_list_query_count_is_constant(
    api, make_ticket, agent_l1, django_assert_max_num_queries
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    _ring(agent_l1, *[f"c{n}" for n in range(20)], ticket=ticket)
    client = api(agent_l1)

    # token + user, one page of rows with their tickets
    with django_assert_max_num_queries(4):
        response = client.get("/api/notifications/")
    assert len(response.json()["results"]) == 20


def test_the_schema_documents_the_bell(api, agent_l1):
    schema = api(agent_l1).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in (
        "/api/notifications/",
        "/api/notifications/unread-count/",
        "/api/notifications/{id}/read/",
        "/api/notifications/read-all/",
    ):
        assert path in paths, path
