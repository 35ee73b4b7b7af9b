"""The Django admin never writes what the services write with side effects: a ticket, message
or attachment is not added there, and of an existing one only the texts may be corrected."""

import pytest

from mailin.models import InboundMessage
from sla.models import SlaClock
from tickets import services
from tickets.models import Comment, Status

pytestmark = pytest.mark.django_db


def test_tickets_messages_and_attachments_are_not_added_in_the_admin(manager_admin_client):
    for model in ("ticket", "comment", "attachment"):
        response = manager_admin_client.get(f"/admin/tickets/{model}/add/")
        assert response.status_code == 403, model


def test_a_tickets_priority_cannot_be_changed_there_its_title_can(
    manager_admin_client, make_ticket
):
    """A priority set in the admin left the SLA clocks on the old one, with no event."""
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    due = sorted(SlaClock.objects.filter(ticket=ticket).values_list("metric", "due_at"))
    url = f"/admin/tickets/ticket/{ticket.pk}/change/"
    form = manager_admin_client.get(url).context["adminform"].form
    assert "priority" not in form.fields and "assignee" not in form.fields
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        {
            "title": "VPN drops every ten minutes",
            "priority": "1",
            "tier": "3",
            "comments-TOTAL_FORMS": "0",
            "comments-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        }
    )

    response = manager_admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert ticket.title == "VPN drops every ten minutes"
    assert (ticket.priority, ticket.tier) != (1, 3)
    assert sorted(SlaClock.objects.filter(ticket=ticket).values_list("metric", "due_at")) == due


def test_an_internal_note_cannot_be_made_public_there_its_text_can_be_corrected(
    manager_admin_client, make_ticket, agent_l1
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    note = services.comment_create(
        ticket=ticket, actor=agent_l1, body="Password is hunter2", is_internal=True
    )
    url = f"/admin/tickets/comment/{note.pk}/change/"

    response = manager_admin_client.post(url, {"body": "Password is ***", "is_internal": ""})

    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.body, note.is_internal) == ("Password is ***", True)
    assert Comment.objects.filter(ticket=ticket, is_internal=False).count() == 0


def test_the_mail_intakes_log_is_not_written_in_the_admin(manager_admin_client):
    """An empty row added there took the empty Message-ID; the next add was a 500."""
    assert manager_admin_client.get("/admin/mailin/inboundmessage/add/").status_code == 403
    assert manager_admin_client.post("/admin/mailin/inboundmessage/add/", {}).status_code == 403
    assert not InboundMessage.objects.exists()
