"""Every transition through the API: allowed from the right states, 409 from the others."""

import pytest

from tickets.models import ClosureCode, EventKind, Priority, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

ALL_STATES = list(Status)

# transition → (states it is allowed from, who performs it, payload)
TRANSITIONS = {
    "identify": ({Status.NEW}, "agent_l1", {"kind": "incident"}),
    "categorize": ({Status.LOGGED}, "agent_l1", None),  # payload needs the category
    "prioritize": ({Status.CATEGORIZED}, "agent_l1", {"impact": "high", "urgency": "low"}),
    "take": ({Status.PRIORITIZED, Status.ESCALATED}, "taker", {}),
    "escalate": ({Status.IN_DIAGNOSIS}, "agent_l1", {"reason": "Needs L2 skills"}),
    "hold": ({Status.IN_DIAGNOSIS}, "agent_l1", {"reason": "Waiting for logs"}),
    "resume": ({Status.ON_HOLD}, "agent_l1", {}),
    "resolve": ({Status.IN_DIAGNOSIS}, "agent_l1", {"summary": "Fixed it", "code": "fixed"}),
    "close": ({Status.RESOLVED}, "requester", {}),
    "reopen": ({Status.RESOLVED}, "requester", {"reason": "Still broken"}),
    "cancel": (
        {s for s in Status if s not in (Status.RESOLVED, Status.CLOSED)},
        "agent_l1",
        {"code": "duplicate", "reason": "Same as INC-000001"},
    ),
}


def _actor(name, ticket, request):
    if name in ("taker", "agent_l1"):
        # An agent who works at the ticket's current tier.
        name = f"agent_l{ticket.tier}"
    return request.getfixturevalue(name)


@pytest.mark.parametrize("transition", list(TRANSITIONS))
@pytest.mark.parametrize("state", ALL_STATES)
def test_transition_allowed_only_from_its_source_states(
    transition, state, make_ticket, api, category, request
):
    sources, actor_name, payload = TRANSITIONS[transition]
    ticket = make_ticket(state)
    actor = _actor(actor_name, ticket, request)
    if payload is None:
        payload = {"category": category.pk}
    events_before = TicketEvent.objects.filter(ticket=ticket).count()

    response = api(actor).post(f"/api/tickets/{ticket.pk}/{transition}/", payload, format="json")

    ticket.refresh_from_db()
    if state in sources:
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == ticket.status != state
        event = TicketEvent.objects.filter(ticket=ticket).latest("id")
        assert (event.transition, event.from_status, event.to_status, event.actor_id) == (
            transition,
            state,
            ticket.status,
            actor.pk,
        )
    else:
        assert response.status_code == 409, response.json()
        assert response.json()["status"] == state
        assert response.json()["message"]
        assert ticket.status == state
        assert TicketEvent.objects.filter(ticket=ticket).count() == events_before


def test_start_diagnosis_assigns_an_agent_of_the_tier(make_ticket, api, agent_l1, category):
    ticket = make_ticket(Status.PRIORITIZED)
    other = type(agent_l1).objects.create(username="second_l1", role="agent", email="s@example.com")
    from escalation.models import SupportGroup

    SupportGroup.objects.get(tier=1).members.add(other)

    response = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/start-diagnosis/", {"assignee": other.pk}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == Status.IN_DIAGNOSIS
    assert response.json()["assignee"]["id"] == other.pk


def test_start_diagnosis_refuses_an_assignee_of_another_tier(make_ticket, api, agent_l1, agent_l2):
    ticket = make_ticket(Status.PRIORITIZED)

    response = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/start-diagnosis/", {"assignee": agent_l2.pk}, format="json"
    )

    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]


def test_triage_records_three_events_in_order(make_ticket, api, agent_l1, category):
    ticket = make_ticket(Status.NEW)

    response = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/triage/",
        {"kind": "service_request", "category": category.pk, "impact": "high", "urgency": "high"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["kind"], body["priority"], body["category"]) == (
        Status.PRIORITIZED,
        "service_request",
        Priority.P1,
        category.pk,
    )
    assert body["reference"].startswith("REQ-")
    transitions = list(
        ticket.events.filter(kind=EventKind.TRANSITION).values_list("transition", "to_status")
    )
    assert transitions == [
        ("identify", Status.LOGGED),
        ("categorize", Status.CATEGORIZED),
        ("prioritize", Status.PRIORITIZED),
    ]


def test_triage_finishes_a_half_triaged_ticket(make_ticket, api, agent_l1, category):
    ticket = make_ticket(Status.LOGGED)

    response = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/triage/",
        {"kind": "incident", "category": category.pk, "impact": "low", "urgency": "low"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["priority"] == Priority.P5
    assert ticket.events.filter(transition="identify").count() == 1


def test_triage_of_a_prioritized_ticket_is_a_conflict(make_ticket, api, agent_l1, category):
    ticket = make_ticket(Status.PRIORITIZED)

    response = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/triage/",
        {"kind": "incident", "category": category.pk, "impact": "low", "urgency": "low"},
        format="json",
    )

    assert response.status_code == 409


def test_triage_that_fails_half_way_leaves_nothing_behind(make_ticket, api, agent_l1, category):
    ticket = make_ticket(Status.NEW)
    category.is_active = False
    category.save()

    response = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/triage/",
        {"kind": "incident", "category": category.pk, "impact": "low", "urgency": "low"},
        format="json",
    )

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert not ticket.events.filter(kind=EventKind.TRANSITION).exists()


def test_priority_override_needs_a_reason(make_ticket, api, agent_l1):
    ticket = make_ticket(Status.CATEGORIZED)
    url = f"/api/tickets/{ticket.pk}/prioritize/"

    refused = api(agent_l1).post(
        url, {"impact": "low", "urgency": "low", "priority": 1}, format="json"
    )
    accepted = api(agent_l1).post(
        url,
        {"impact": "low", "urgency": "low", "priority": 1, "reason": "CEO's laptop"},
        format="json",
    )

    assert refused.status_code == 400
    assert "reason" in refused.json()["errors"]
    assert accepted.status_code == 200
    assert accepted.json()["priority"] == Priority.P1
    assert accepted.json()["priority_override_reason"] == "CEO's laptop"


def test_escalate_moves_to_the_next_tier_queue_unassigned(make_ticket, api, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/escalate/", {"reason": "Needs L2"}, format="json"
    )

    body = response.json()
    assert (body["status"], body["tier"], body["assignee"], body["escalation_count"]) == (
        Status.ESCALATED,
        2,
        None,
        1,
    )


def test_escalate_needs_a_reason(make_ticket, api, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/escalate/", {"reason": " "}, format="json"
    )

    assert response.status_code == 400


def test_escalate_from_l3_is_refused_with_a_clear_message(
    make_ticket, api, agent_l1, agent_l2, agent_l3
):
    ticket = make_ticket(Status.ESCALATED)  # at L2
    from tickets import services

    ticket = services.ticket_take(ticket=ticket, actor=agent_l2)
    ticket = services.ticket_escalate(ticket=ticket, actor=agent_l2, reason="Needs experts")
    ticket = services.ticket_take(ticket=ticket, actor=agent_l3)

    response = api(agent_l3).post(
        f"/api/tickets/{ticket.pk}/escalate/", {"reason": "More"}, format="json"
    )

    assert response.status_code == 400
    assert "L3" in response.json()["message"]
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.status) == (3, Status.IN_DIAGNOSIS)


def test_l1_agent_cannot_take_an_l2_ticket(make_ticket, api, agent_l1):
    ticket = make_ticket(Status.ESCALATED)

    response = api(agent_l1).post(f"/api/tickets/{ticket.pk}/take/", {}, format="json")

    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Status.ESCALATED


def test_resolve_counts_as_the_first_response(make_ticket, api, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    assert ticket.first_response_at is None

    api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/resolve/", {"summary": "Done", "code": "fixed"}, format="json"
    )

    ticket.refresh_from_db()
    assert ticket.first_response_at == ticket.resolved_at is not None


def test_resolve_refuses_a_cancellation_code(make_ticket, api, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/resolve/",
        {"summary": "Done", "code": "duplicate"},
        format="json",
    )

    assert response.status_code == 400


def test_reopen_starts_diagnosis_again_and_counts(make_ticket, api, requester):
    ticket = make_ticket(Status.RESOLVED)

    response = api(requester).post(
        f"/api/tickets/{ticket.pk}/reopen/", {"reason": "No"}, format="json"
    )

    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count, ticket.resolved_at, ticket.closure_code) == (
        Status.IN_DIAGNOSIS,
        1,
        None,
        "",
    )


def test_requester_can_only_withdraw_their_ticket(make_ticket, api, requester):
    ticket = make_ticket(Status.NEW)
    url = f"/api/tickets/{ticket.pk}/cancel/"

    refused = api(requester).post(url, {"code": "not_support"}, format="json")
    withdrawn = api(requester).post(url, {"code": "withdrawn"}, format="json")

    assert refused.status_code == 403
    # It said "A requester can only withdraw their own ticket." of their own ticket.
    assert refused.json()["message"] == (
        "A requester closes their ticket only by withdrawing it (code “withdrawn”)."
    )
    assert withdrawn.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.closure_code) == (Status.CLOSED, ClosureCode.WITHDRAWN)
    assert ticket.closed_at is not None


def test_closed_is_terminal(make_ticket, api, agent_l1, requester):
    ticket = make_ticket(Status.CLOSED)

    for name, user, payload in [
        ("reopen", requester, {"reason": "x"}),
        ("cancel", agent_l1, {"code": "duplicate"}),
        ("take", agent_l1, {}),
    ]:
        assert (
            api(user).post(f"/api/tickets/{ticket.pk}/{name}/", payload, format="json").status_code
            == 409
        )
    comment = api(requester).post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": "hi"}, format="json"
    )
    assert comment.status_code == 400


def test_requester_reply_resumes_a_ticket_on_hold(make_ticket, api, requester):
    ticket = make_ticket(Status.ON_HOLD)

    api(requester).post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": "Here are the logs"}, format="json"
    )

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS
    assert ticket.events.latest("id").transition == "resume"


def test_requester_reply_reopens_a_resolved_ticket(make_ticket, api, requester):
    ticket = make_ticket(Status.RESOLVED)

    api(requester).post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": "Still broken"}, format="json"
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == (Status.IN_DIAGNOSIS, 1)


def test_first_public_reply_sets_first_response_but_a_note_does_not(make_ticket, api, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    url = f"/api/tickets/{ticket.pk}/comments/"

    api(agent_l1).post(url, {"body": "Looking", "is_internal": True}, format="json")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None

    api(agent_l1).post(url, {"body": "We are on it"}, format="json")
    ticket.refresh_from_db()
    first = ticket.first_response_at
    assert first is not None

    api(agent_l1).post(url, {"body": "Update"}, format="json")
    ticket.refresh_from_db()
    assert ticket.first_response_at == first


def test_reclassifying_priority_is_recorded_with_its_reason(make_ticket, api, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = api(agent_l1).patch(
        f"/api/tickets/{ticket.pk}/",
        {"impact": "high", "urgency": "high", "reason": "Whole office affected"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["priority"] == Priority.P1
    event = ticket.events.latest("id")
    assert event.kind == EventKind.CHANGE
    assert event.changes["priority"] == [Priority.P3, Priority.P1]
    assert event.reason == "Whole office affected"
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_DIAGNOSIS


def test_reclassifying_a_set_priority_needs_a_reason(make_ticket, api, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = api(agent_l1).patch(f"/api/tickets/{ticket.pk}/", {"impact": "high"}, format="json")

    assert response.status_code == 400
