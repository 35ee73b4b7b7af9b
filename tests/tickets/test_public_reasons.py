"""Which reasons the requester reads: the agent's fields say so (found by the requester walk)."""

import pytest

from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "action"),
    [(Status.IN_DIAGNOSIS, "hold"), (Status.ON_HOLD, "resume"), (Status.IN_DIAGNOSIS, "cancel")],
)
def test_a_reason_the_requester_will_read_is_labelled_so_on_the_agents_form(
    client_for, agent_l1, requester, make_ticket, status, action
):
    # Hold, resume and cancel reasons show on the requester's page (and in their email), yet
    # their fields said "Reason" / "Note" like the escalation's, which stays internal.
    ticket = make_ticket(status)

    html = client_for(agent_l1).get(f"/tickets/{ticket.pk}/").content.decode()
    form = html.split(f'action="/tickets/{ticket.pk}/do/{action}/"', 1)[1].split("</form>", 1)[0]
    assert "the requester sees it" in form

    services_call = {
        "hold": lambda: services.ticket_hold(ticket=ticket, actor=agent_l1, reason="Send logs"),
        "resume": lambda: services.ticket_resume(ticket=ticket, actor=agent_l1, reason="Send logs"),
        "cancel": lambda: services.ticket_cancel(
            ticket=ticket, actor=agent_l1, code="not_support", reason="Send logs"
        ),
    }
    services_call[action]()
    assert "Send logs" in client_for(requester).get(f"/tickets/{ticket.pk}/").content.decode()


def test_the_escalation_reason_keeps_its_plain_label_and_stays_internal(
    client_for, agent_l1, requester, make_ticket
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    html = client_for(agent_l1).get(f"/tickets/{ticket.pk}/").content.decode()
    form = html.split(f'action="/tickets/{ticket.pk}/do/escalate/"', 1)[1].split("</form>", 1)[0]
    assert "the requester sees it" not in form

    services.ticket_escalate(ticket=ticket, actor=agent_l1, reason="Needs the network team")
    assert "Needs the network team" not in (
        client_for(requester).get(f"/tickets/{ticket.pk}/").content.decode()
    )
