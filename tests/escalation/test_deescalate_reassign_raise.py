"""De-escalation, reassignment within a tier and raising to a manager, through the API."""

import pytest

from escalation.models import SupportGroup, Tier
from notifications.models import Notification, NotificationKind
from tests.factories import AgentFactory
from tickets import services
from tickets.models import EventKind, Status, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def l2_ticket(make_ticket, agent_l2):
    """Escalated to L2 and taken by agent_l2."""
    ticket = make_ticket(Status.ESCALATED)
    return services.ticket_take(ticket=ticket, actor=agent_l2)


# --- de-escalation -----------------------------------------------------------------------------


def test_deescalate_sends_the_ticket_back_to_the_lower_tier_queue(l2_ticket, agent_l2, api):
    response = api(agent_l2).post(
        f"/api/tickets/{l2_ticket.pk}/deescalate/", {"reason": "A password reset"}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()  # agent_l2 no longer reads L1's queue: the short answer
    assert (body["id"], body["status"], body["tier"]) == (l2_ticket.pk, Status.ESCALATED, Tier.L1)
    l2_ticket.refresh_from_db()
    assert l2_ticket.assignee is None
    event = TicketEvent.objects.get(ticket=l2_ticket, transition="deescalate")
    assert (event.from_status, event.to_status) == (Status.IN_DIAGNOSIS, Status.ESCALATED)
    assert event.reason_is_internal and event.changes["tier"] == [Tier.L2, Tier.L1]


def test_deescalate_an_untaken_escalated_ticket_from_the_queue(make_ticket, agent_l2):
    ticket = make_ticket(Status.ESCALATED)

    ticket = services.ticket_deescalate(ticket=ticket, actor=agent_l2, reason="Not for us")

    assert (ticket.status, ticket.tier) == (Status.ESCALATED, Tier.L1)


def test_a_requester_never_sees_the_deescalation_reason(
    l2_ticket, agent_l2, agent_l1, requester, api
):
    services.ticket_deescalate(ticket=l2_ticket, actor=agent_l2, reason="SECRET-REASON")

    history = api(requester).get(f"/api/tickets/{l2_ticket.pk}/history/")

    assert history.status_code == 200
    assert "SECRET-REASON" not in history.content.decode()
    staff_history = api(agent_l1).get(f"/api/tickets/{l2_ticket.pk}/history/")
    assert "SECRET-REASON" in staff_history.content.decode()


@pytest.mark.parametrize(
    ("who", "payload", "code"),
    [
        ("agent_l2", {}, 400),  # reason required
        ("agent_l2", {"reason": "   "}, 400),
        ("agent_l1", {"reason": "r"}, 403),  # not an agent of L2
        ("requester", {"reason": "r"}, 403),
        ("outsider", {"reason": "r"}, 404),  # cannot even see the ticket
    ],
)
def test_deescalate_refusals(who, payload, code, l2_ticket, api, request):
    user = request.getfixturevalue(who)

    response = api(user).post(f"/api/tickets/{l2_ticket.pk}/deescalate/", payload, format="json")

    assert response.status_code == code, response.json()
    assert response.json()["message"]
    assert not TicketEvent.objects.filter(transition="deescalate").exists()


def test_deescalate_from_l1_is_refused_with_a_clear_message(make_ticket, agent_l1, api):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/deescalate/", {"reason": "r"}, format="json"
    )

    assert response.status_code == 400
    assert "lowest tier" in response.json()["message"]


def test_deescalate_a_resolved_ticket_is_a_409(make_ticket, agent_l1, agent_l2, api):
    ticket = make_ticket(Status.ESCALATED)
    services.ticket_take(ticket=ticket, actor=agent_l2)
    services.ticket_resolve(ticket=ticket, actor=agent_l2, summary="s", code="fixed")

    response = api(agent_l2).post(
        f"/api/tickets/{ticket.pk}/deescalate/", {"reason": "r"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["status"] == Status.RESOLVED


# --- reassignment ------------------------------------------------------------------------------


def test_reassign_within_the_tier_records_a_change_and_notifies_the_new_assignee(
    l2_ticket, agent_l2, api
):
    colleague = AgentFactory(username="colleague_l2", tier=Tier.L2)

    response = api(agent_l2).post(
        f"/api/tickets/{l2_ticket.pk}/reassign/",
        {"assignee": colleague.pk, "reason": "Database expert"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["assignee"]["id"] == colleague.pk
    assert response.json()["status"] == Status.IN_DIAGNOSIS
    event = l2_ticket.events.filter(kind=EventKind.CHANGE).last()
    assert event.changes == {"assignee_id": [agent_l2.pk, colleague.pk]}
    assert event.reason == "Database expert" and event.reason_is_internal
    assert Notification.objects.filter(
        kind=NotificationKind.ASSIGNED, recipient=colleague, ticket=l2_ticket
    ).exists()


def test_reassign_to_an_agent_of_another_tier_is_a_400(l2_ticket, agent_l2, agent_l1, api):
    response = api(agent_l2).post(
        f"/api/tickets/{l2_ticket.pk}/reassign/",
        {"assignee": agent_l1.pk, "reason": "r"},
        format="json",
    )

    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]


def test_reassign_refusals(l2_ticket, make_ticket, agent_l1, agent_l2, requester, api):
    colleague = AgentFactory(username="colleague_l2", tier=Tier.L2)
    url = f"/api/tickets/{l2_ticket.pk}/reassign/"
    payload = {"assignee": colleague.pk, "reason": "r"}

    assert api(agent_l1).post(url, payload, format="json").status_code == 403
    assert api(requester).post(url, payload, format="json").status_code == 403
    assert api(agent_l2).post(url, {"assignee": colleague.pk}, format="json").status_code == 400
    assert (
        api(agent_l2).post(url, {"assignee": agent_l2.pk, "reason": "r"}, format="json").status_code
        == 400
    )  # already theirs
    queued = make_ticket(Status.ESCALATED)
    response = api(agent_l2).post(f"/api/tickets/{queued.pk}/reassign/", payload, format="json")
    assert response.status_code == 409  # nobody holds it yet: take or start diagnosis instead
    assert (
        api(agent_l2).post("/api/tickets/999999/reassign/", payload, format="json").status_code
        == 404
    )


def test_reassign_and_deescalate_are_offered_as_allowed_transitions(l2_ticket, agent_l2, api):
    allowed = api(agent_l2).get(f"/api/tickets/{l2_ticket.pk}/").json()["allowed_transitions"]

    assert {"deescalate", "reassign", "escalate"} <= set(allowed)


# --- raise to manager --------------------------------------------------------------------------


def test_raise_notifies_the_managers_without_moving_the_ticket(l2_ticket, agent_l2, manager, api):
    response = api(agent_l2).post(
        f"/api/tickets/{l2_ticket.pk}/raise/", {"reason": "VIP customer"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["tier"]) == (Status.IN_DIAGNOSIS, Tier.L2)
    assert l2_ticket.events.filter(kind=EventKind.RAISED, reason="VIP customer").count() == 1
    assert Notification.objects.filter(
        kind=NotificationKind.RAISED_TO_MANAGER, recipient=manager
    ).exists()


def test_raise_refusals(l2_ticket, make_ticket, agent_l1, agent_l2, requester, outsider, api):
    url = f"/api/tickets/{l2_ticket.pk}/raise/"

    assert api(agent_l2).post(url, {}, format="json").status_code == 400
    assert api(agent_l1).post(url, {"reason": "r"}, format="json").status_code == 403
    assert api(requester).post(url, {"reason": "r"}, format="json").status_code == 403
    assert api(outsider).post(url, {"reason": "r"}, format="json").status_code == 404
    closed = make_ticket(Status.CLOSED)
    response = api(agent_l1).post(
        f"/api/tickets/{closed.pk}/raise/", {"reason": "r"}, format="json"
    )
    assert response.status_code == 409
    assert not TicketEvent.objects.filter(kind=EventKind.RAISED).exists()


def test_an_l1_agent_cannot_take_an_l2_ticket(make_ticket, agent_l1, api):
    ticket = make_ticket(Status.ESCALATED)
    assert SupportGroup.objects.get(members=agent_l1).tier == Tier.L1

    response = api(agent_l1).post(f"/api/tickets/{ticket.pk}/take/")

    assert response.status_code == 403
