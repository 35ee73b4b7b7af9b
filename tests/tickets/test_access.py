"""The access matrix: each persona × each ticket endpoint."""

import pytest

from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db

PERSONAS = [
    "requester",
    "other_requester",
    "outsider",
    "agent_l1",
    "agent_l2",
    "agent_l3",
    "manager",
    "security_officer",
    None,
]

# Who may read a ticket of `requester` sitting in the L1 queue.
READERS_L1_TICKET = {"requester", "agent_l1", "manager"}


@pytest.fixture
def ticket(make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.comment_create(ticket=ticket, actor=agent_l1, body="secret note", is_internal=True)
    services.comment_create(ticket=ticket, actor=agent_l1, body="public reply")
    return ticket


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("suffix", ["", "comments/", "history/"])
def test_read_endpoints(persona, suffix, ticket, api, request):
    user = request.getfixturevalue(persona) if persona else None

    response = api(user).get(f"/api/tickets/{ticket.pk}/{suffix}")

    if user is None:
        assert response.status_code == 401
    elif persona in READERS_L1_TICKET:
        assert response.status_code == 200
    else:
        assert response.status_code == 404  # never reveal that the ticket exists
        assert response.json() == {"message": "Not found."}


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_only_visible_tickets(persona, ticket, api, request):
    user = request.getfixturevalue(persona) if persona else None

    response = api(user).get("/api/tickets/")

    if user is None:
        assert response.status_code == 401
        return
    ids = [row["id"] for row in response.json()["results"]]
    assert (ticket.pk in ids) == (persona in READERS_L1_TICKET)


def test_requester_never_sees_internal_notes(ticket, api, requester):
    bodies = [c["body"] for c in api(requester).get(f"/api/tickets/{ticket.pk}/comments/").json()]

    assert bodies == ["public reply"]


def test_agent_sees_internal_notes(ticket, api, agent_l1):
    bodies = [c["body"] for c in api(agent_l1).get(f"/api/tickets/{ticket.pk}/comments/").json()]

    assert bodies == ["secret note", "public reply"]


def test_requester_does_not_see_escalation_reason_or_field_changes(make_ticket, api, requester):
    ticket = make_ticket(Status.ESCALATED)

    history = api(requester).get(f"/api/tickets/{ticket.pk}/history/").json()

    escalation = next(e for e in history if e["transition"] == "escalate")
    assert escalation["reason"] == ""
    assert all(e["changes"] == {} for e in history)


def test_agent_sees_escalation_reason(make_ticket, api, agent_l2):
    ticket = make_ticket(Status.ESCALATED)

    history = api(agent_l2).get(f"/api/tickets/{ticket.pk}/history/").json()

    escalation = next(e for e in history if e["transition"] == "escalate")
    assert escalation["reason"] == "Needs a network engineer"
    assert escalation["changes"]["tier"] == [1, 2]


def test_organisation_sharing_lets_colleagues_read(ticket, api, other_requester, organisation):
    assert api(other_requester).get(f"/api/tickets/{ticket.pk}/").status_code == 404

    organisation.share_tickets = True
    organisation.save()

    assert api(other_requester).get(f"/api/tickets/{ticket.pk}/").status_code == 200
    bodies = [
        c["body"] for c in api(other_requester).get(f"/api/tickets/{ticket.pk}/comments/").json()
    ]
    assert bodies == ["public reply"]


def test_colleague_with_read_access_cannot_act(ticket, api, other_requester, organisation):
    organisation.share_tickets = True
    organisation.save()

    response = api(other_requester).post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": "me too"}, format="json"
    )

    assert response.status_code == 403


def test_l2_agent_sees_l2_queue_and_what_they_hold(make_ticket, api, agent_l2):
    at_l1 = make_ticket(Status.IN_DIAGNOSIS)
    at_l2 = make_ticket(Status.ESCALATED)

    ids = [row["id"] for row in api(agent_l2).get("/api/tickets/").json()["results"]]

    assert at_l2.pk in ids
    assert at_l1.pk not in ids


@pytest.mark.parametrize(
    ("persona", "transition", "payload", "expected"),
    [
        ("requester", "take", {}, 403),
        ("requester", "escalate", {"reason": "x"}, 403),
        ("requester", "resolve", {"summary": "x", "code": "fixed"}, 403),
        ("manager", "take", {}, 403),
        ("manager", "resolve", {"summary": "x", "code": "fixed"}, 403),
        ("agent_l2", "escalate", {"reason": "x"}, 404),  # an L1 ticket is not visible to L2
        ("outsider", "close", {}, 404),
        ("security_officer", "hold", {}, 404),
    ],
)
def test_who_may_act(persona, transition, payload, expected, ticket, api, request):
    user = request.getfixturevalue(persona)

    response = api(user).post(f"/api/tickets/{ticket.pk}/{transition}/", payload, format="json")

    assert response.status_code == expected
    assert response.json()["message"]
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS


def test_requester_cannot_write_an_internal_note(ticket, api, requester):
    response = api(requester).post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": "x", "is_internal": True}, format="json"
    )

    assert response.status_code == 403


def test_requester_cannot_reclassify(ticket, api, requester):
    response = api(requester).patch(
        f"/api/tickets/{ticket.pk}/", {"impact": "high", "reason": "urgent!"}, format="json"
    )

    assert response.status_code == 403


def test_requester_cannot_log_for_someone_else(api, requester):
    response = api(requester).post(
        "/api/tickets/",
        {"title": "t", "description": "d", "requester_email": "victim@example.com"},
        format="json",
    )

    assert response.status_code == 403


def test_unknown_ticket_is_404_json(api, agent_l1):
    response = api(agent_l1).get("/api/tickets/999999999/")

    assert response.status_code == 404
    assert response.json()["message"]
