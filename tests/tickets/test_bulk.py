"""Issue 21 item 3: bulk actions from the console and the API, each row through the same
service as the single action (one event per ticket, per-ticket permissions, per-row 409s)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from escalation.models import Tier
from helpdesk.config_cache import config_cache_reset
from ola.selectors import ola_target_table
from tests.factories import AgentFactory, CategoryFactory
from tickets import services
from tickets.bulk import MAX_BULK_IDS, BulkArgs, tickets_bulk_apply
from tickets.models import ClosureCode, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_l1():
    return AgentFactory(username="agent_l1_other", tier=Tier.L1)


def _take_events(ticket: Ticket) -> int:
    return TicketEvent.objects.filter(ticket=ticket, transition="take").count()


def test_bulk_take_reports_each_row_and_does_not_undo_the_others(make_ticket, agent_l1, other_l1):
    first, taken, third = (make_ticket(Status.PRIORITIZED) for _ in range(3))
    services.ticket_take(ticket=taken, actor=other_l1)  # someone else was quicker

    outcomes = tickets_bulk_apply(
        actor=agent_l1, action="take", ids=[third.pk, taken.pk, first.pk], args=BulkArgs()
    )

    assert [(o.ticket_id, o.ok, o.code) for o in outcomes] == [
        (third.pk, True, 200),
        (taken.pk, False, 409),
        (first.pk, True, 200),
    ]
    assert outcomes[1].message == "This action is not allowed while the ticket is In diagnosis."
    assert outcomes[1].status == Status.IN_DIAGNOSIS
    for ticket in (first, third):
        ticket.refresh_from_db()
        assert (ticket.status, ticket.assignee_id) == (Status.IN_DIAGNOSIS, agent_l1.pk)
        assert _take_events(ticket) == 1  # one event per ticket
    taken.refresh_from_db()
    assert taken.assignee_id == other_l1.pk and _take_events(taken) == 1


def test_a_repeated_id_is_done_once(make_ticket, agent_l1):
    ticket = make_ticket(Status.PRIORITIZED)
    outcomes = tickets_bulk_apply(
        actor=agent_l1, action="take", ids=[ticket.pk, ticket.pk], args=BulkArgs()
    )
    assert len(outcomes) == 1 and outcomes[0].ok
    assert _take_events(ticket) == 1


def test_a_ticket_the_agent_cannot_read_is_a_404_row(make_ticket, agent_l1, agent_l2):
    l1_ticket = make_ticket(Status.PRIORITIZED)  # L2 agents do not read L1's queue
    escalated = make_ticket(Status.ESCALATED)
    outcomes = tickets_bulk_apply(
        actor=agent_l2, action="take", ids=[l1_ticket.pk, escalated.pk, 999_999], args=BulkArgs()
    )
    assert [(o.code, o.reference) for o in outcomes] == [
        (404, f"#{l1_ticket.pk}"),
        (200, escalated.reference),
        (404, "#999999"),
    ]
    assert outcomes[0].message == "No such ticket."
    assert outcomes[0].status == ""  # nothing about it is revealed


def test_permission_is_checked_per_ticket(make_ticket, agent_l1, agent_l2):
    mine = make_ticket(Status.IN_DIAGNOSIS)  # taken by agent_l1
    at_l2 = make_ticket(Status.ESCALATED)
    services.ticket_take(ticket=at_l2, actor=agent_l2)
    # L1 reads every ticket but works only on its tier's and its own.
    outcomes = tickets_bulk_apply(
        actor=agent_l1, action="hold", ids=[mine.pk, at_l2.pk], args=BulkArgs(reason="Logs?")
    )
    assert [(o.ok, o.code) for o in outcomes] == [(True, 200), (False, 403)]
    assert "Only agents of L2" in outcomes[1].message
    at_l2.refresh_from_db()
    assert at_l2.status == Status.IN_DIAGNOSIS


def test_only_agents_run_bulk_actions(make_ticket, requester, manager):
    from django.core.exceptions import PermissionDenied

    ticket = make_ticket(Status.PRIORITIZED)
    for user in (requester, manager):
        with pytest.raises(PermissionDenied):
            tickets_bulk_apply(actor=user, action="take", ids=[ticket.pk], args=BulkArgs())


def test_assign_starts_diagnosis_or_reassigns_with_a_reason(make_ticket, agent_l1, other_l1):
    waiting = make_ticket(Status.PRIORITIZED)
    working = make_ticket(Status.IN_DIAGNOSIS)  # agent_l1 holds it
    without_reason = tickets_bulk_apply(
        actor=agent_l1,
        action="assign",
        ids=[waiting.pk, working.pk],
        args=BulkArgs(assignee=other_l1),
    )
    # Reassigning needs a reason (as the single action does): that row is a 400, not the other.
    assert [(o.ok, o.code) for o in without_reason] == [(True, 200), (False, 400)]
    assert without_reason[1].message == "Say why the ticket is reassigned."

    again = tickets_bulk_apply(
        actor=agent_l1,
        action="assign",
        ids=[working.pk],
        args=BulkArgs(assignee=other_l1, reason="Holiday"),
    )
    assert again[0].ok
    for ticket in (waiting, working):
        ticket.refresh_from_db()
        assert ticket.assignee_id == other_l1.pk


def test_assign_to_an_agent_of_another_tier_is_refused_per_row(make_ticket, agent_l1, agent_l2):
    ticket = make_ticket(Status.PRIORITIZED)
    [outcome] = tickets_bulk_apply(
        actor=agent_l1, action="assign", ids=[ticket.pk], args=BulkArgs(assignee=agent_l2)
    )
    assert (outcome.ok, outcome.code) == (False, 400)
    assert "is not an agent of L1" in outcome.message


def test_set_category_and_priority_are_recorded_changes(make_ticket, agent_l1):
    tickets = [make_ticket(Status.IN_DIAGNOSIS) for _ in range(2)]
    network = CategoryFactory(name="Network")
    ids = [t.pk for t in tickets]
    assert all(
        o.ok
        for o in tickets_bulk_apply(
            actor=agent_l1, action="category", ids=ids, args=BulkArgs(category=network)
        )
    )
    assert all(
        o.ok
        for o in tickets_bulk_apply(
            actor=agent_l1,
            action="priority",
            ids=ids,
            args=BulkArgs(priority=2, reason="The whole floor is affected"),
        )
    )
    for ticket in tickets:
        ticket.refresh_from_db()
        assert (ticket.category_id, ticket.priority) == (network.pk, 2)
        assert ticket.priority_override_reason == "The whole floor is affected"
        changes = TicketEvent.objects.filter(ticket=ticket, kind="change").order_by("id")
        assert [sorted(e.changes) for e in changes][-2:] == [
            ["category_id"],
            ["priority", "priority_override_reason"],
        ]


def test_escalate_hold_and_resolve(make_ticket, agent_l1):
    a, b, c = (make_ticket(Status.IN_DIAGNOSIS) for _ in range(3))
    [esc] = tickets_bulk_apply(
        actor=agent_l1, action="escalate", ids=[a.pk], args=BulkArgs(reason="Needs L2")
    )
    [hold] = tickets_bulk_apply(actor=agent_l1, action="hold", ids=[b.pk], args=BulkArgs())
    [res] = tickets_bulk_apply(
        actor=agent_l1,
        action="resolve",
        ids=[c.pk],
        args=BulkArgs(summary="Restarted", code=ClosureCode.WORKAROUND),
    )
    assert (esc.status, hold.status, res.status) == (
        Status.ESCALATED,
        Status.ON_HOLD,
        Status.RESOLVED,
    )
    escalation = TicketEvent.objects.get(ticket=a, transition="escalate")
    assert (escalation.reason, escalation.reason_is_internal) == ("Needs L2", True)


@pytest.mark.parametrize(
    ("action", "args", "field"),
    [
        ("explode", BulkArgs(), "action"),
        ("assign", BulkArgs(), "assignee"),
        ("category", BulkArgs(), "category"),
        ("priority", BulkArgs(priority=2), "reason"),
        ("priority", BulkArgs(reason="x"), "priority"),
        ("escalate", BulkArgs(reason="  "), "reason"),
        ("resolve", BulkArgs(summary="done"), "code"),
        ("resolve", BulkArgs(code=ClosureCode.FIXED), "summary"),
        ("resolve", BulkArgs(summary="done", code=ClosureCode.DUPLICATE), "code"),
    ],
)
def test_a_request_no_row_could_succeed_with_is_refused_whole(
    make_ticket, agent_l1, action, args, field
):
    from helpdesk.errors import DomainError

    ticket = make_ticket(Status.IN_DIAGNOSIS)
    with pytest.raises(DomainError) as refused:
        tickets_bulk_apply(actor=agent_l1, action=action, ids=[ticket.pk], args=args)
    assert refused.value.field == field
    assert TicketEvent.objects.filter(ticket=ticket).count() == 5  # created, triage (3), take


def test_query_count_grows_by_a_fixed_amount_per_ticket(make_ticket, agent_l1):
    """Bounded: a constant for the request plus the same few queries per ticket, whatever
    the batch. Per ticket (take): its transaction (a savepoint here, inside the test's),
    the row lock (SELECT … FOR UPDATE), the ticket's OLA clocks, the UPDATE, the event's INSERT,
    the commit (release)."""
    tickets = [make_ticket(Status.PRIORITIZED) for _ in range(6)]
    # The factories saved configuration inside the test's transaction, which never commits: the
    # cache would read it afresh on every call. Start from the committed state, as a request does.
    config_cache_reset()
    ola_target_table()  # the OLA targets are kept per process, read once (not per ticket)

    def queries(batch: list[Ticket]) -> int:
        actor = type(agent_l1).objects.get(pk=agent_l1.pk)  # tiers not memoised yet
        with CaptureQueriesContext(connection) as captured:
            outcomes = tickets_bulk_apply(
                actor=actor, action="take", ids=[t.pk for t in batch], args=BulkArgs()
            )
        assert all(o.ok for o in outcomes)
        return len(captured.captured_queries)

    one = queries(tickets[:1])
    five = queries(tickets[1:6])
    per_ticket = (five - one) // 4
    assert five - one == 4 * per_ticket  # exactly linear: nothing grows with the batch
    assert one == PER_CALL + per_ticket
    assert per_ticket == PER_TICKET, per_ticket


# The pinned figures (measured; a change here is a change in the cost of every bulk action):
# per call: the agent's tiers and the visible tickets of the batch; per ticket see above.
PER_CALL = 2
PER_TICKET = 6


# --- the API -----------------------------------------------------------------------------------


def test_api_bulk_answers_per_row(api, make_ticket, agent_l1, other_l1):
    free, taken = make_ticket(Status.PRIORITIZED), make_ticket(Status.PRIORITIZED)
    services.ticket_take(ticket=taken, actor=other_l1)
    response = api(agent_l1).post(
        "/api/tickets/bulk/",
        {"action": "take", "ids": [free.pk, taken.pk, 999_999]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["action"], body["done"], body["failed"]) == ("take", 1, 2)
    assert [(r["id"], r["ok"], r["code"]) for r in body["results"]] == [
        (free.pk, True, 200),
        (taken.pk, False, 409),
        (999_999, False, 404),
    ]
    assert body["results"][1]["status"] == "in_diagnosis"
    assert body["results"][0]["reference"] == free.reference


def test_api_bulk_refuses_more_than_the_maximum(api, agent_l1):
    response = api(agent_l1).post(
        "/api/tickets/bulk/",
        {"action": "take", "ids": list(range(1, MAX_BULK_IDS + 2))},
        format="json",
    )
    assert response.status_code == 400
    assert "ids" in response.json()["errors"]


@pytest.mark.parametrize(
    "payload",
    [
        {"action": "take", "ids": []},
        {"action": "take"},
        {"action": "nope", "ids": [1]},
        {"action": "take", "ids": ["x"]},
        {"action": "take", "ids": [0]},
        {"action": "escalate", "ids": [1]},
        {"action": "priority", "ids": [1], "args": {"priority": 9, "reason": "x"}},
        {"action": "assign", "ids": [1], "args": {"assignee": 999_999}},
        {"action": "take", "ids": [2**70]},
    ],
)
def test_api_bulk_bad_input_is_a_400(api, agent_l1, payload):
    response = api(agent_l1).post("/api/tickets/bulk/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["message"]


def test_api_bulk_is_for_agents(api, make_ticket, requester, manager):
    ticket = make_ticket(Status.PRIORITIZED)
    payload = {"action": "take", "ids": [ticket.pk]}
    assert api(requester).post("/api/tickets/bulk/", payload, format="json").status_code == 403
    assert api(manager).post("/api/tickets/bulk/", payload, format="json").status_code == 403
    assert api(None).post("/api/tickets/bulk/", payload, format="json").status_code == 401
    ticket.refresh_from_db()
    assert ticket.status == Status.PRIORITIZED


def test_api_bulk_is_in_the_schema(api, agent_l1):
    schema = api(agent_l1).get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/tickets/bulk/"]["post"]
    assert "BulkAction" in str(operation["requestBody"])
    assert "BulkResult" in str(operation["responses"]["200"])


# --- the console ---------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_console_rows_have_a_checkbox_and_take_where_the_agent_can_take(make_ticket, agent_l1):
    waiting = make_ticket(Status.PRIORITIZED)
    working = make_ticket(Status.IN_DIAGNOSIS)
    body = _client(agent_l1).get("/console/").content.decode()
    assert 'id="bulk-form"' in body
    assert f'name="ids" value="{waiting.pk}" form="bulk-form"' in body
    assert f'name="ids" value="{working.pk}" form="bulk-form"' in body
    assert f'data-take="{waiting.pk}"' in body
    assert f'data-take="{working.pk}"' not in body


def test_managers_have_no_bulk_bar(make_ticket, manager):
    make_ticket(Status.PRIORITIZED)
    body = _client(manager).get("/console/").content.decode()
    assert "bulk-form" not in body and "data-take" not in body
    response = _client(manager).post("/console/bulk/", {"action": "take", "ids": ["1"]})
    assert response.status_code == 403


def test_console_bulk_with_htmx_shows_each_outcome_and_refreshes_the_list(
    make_ticket, agent_l1, other_l1
):
    free, taken = make_ticket(Status.PRIORITIZED), make_ticket(Status.PRIORITIZED)
    services.ticket_take(ticket=taken, actor=other_l1)
    response = _client(agent_l1).post(
        "/console/bulk/",
        {"action": "take", "ids": [str(free.pk), str(taken.pk)]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "bulk-done"
    body = response.content.decode()
    assert f'data-outcome="{free.pk}" data-code="200"' in body
    assert f'data-outcome="{taken.pk}" data-code="409"' in body
    assert "Take: 1 done, 1 not done." in body
    assert "This action is not allowed while the ticket is In diagnosis." in body


@pytest.mark.parametrize(
    ("taken_by_other", "summary"),
    [(1, "Asumir: 1 hecho, 1 sin hacer."), (0, "Asumir: 2 hechos, 0 sin hacer.")],
)
def test_console_bulk_outcome_in_spanish_agrees_in_number(
    make_ticket, agent_l1, other_l1, taken_by_other, summary
):
    tickets = [make_ticket(Status.PRIORITIZED), make_ticket(Status.PRIORITIZED)]
    for ticket in tickets[:taken_by_other]:
        services.ticket_take(ticket=ticket, actor=other_l1)
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    response = _client(agent_l1).post(
        "/console/bulk/",
        {"action": "take", "ids": [str(ticket.pk) for ticket in tickets]},
        HTTP_HX_REQUEST="true",
    )
    assert summary in response.content.decode()


def test_console_bulk_without_javascript_redirects_with_messages(make_ticket, agent_l1, other_l1):
    free, taken = make_ticket(Status.PRIORITIZED), make_ticket(Status.PRIORITIZED)
    services.ticket_take(ticket=taken, actor=other_l1)
    client = _client(agent_l1)
    response = client.post(
        "/console/bulk/",
        {"action": "take", "ids": [str(free.pk), str(taken.pk)], "next": "/console/?queue=l1"},
    )
    assert response.status_code == 302 and response["Location"] == "/console/?queue=l1"
    page = client.get(response["Location"]).content.decode()
    assert "Take: 1 done, 1 not done." in page
    assert f"{taken.reference}: This action is not allowed" in page


def test_console_bulk_refuses_an_offsite_next_and_an_empty_selection(agent_l1):
    client = _client(agent_l1)
    response = client.post("/console/bulk/", {"action": "take", "next": "https://evil.example/"})
    assert response["Location"] == "/console/"
    assert "Select at least one ticket." in client.get("/console/").content.decode()
    htmx = client.post(
        "/console/bulk/", {"action": "escalate", "ids": ["1"]}, HTTP_HX_REQUEST="true"
    )
    assert htmx.status_code == 200 and "HX-Trigger" not in htmx
    assert "Say why the tickets are escalated." in htmx.content.decode()


def test_console_bulk_bad_ids_and_action_never_500(agent_l1):
    client = _client(agent_l1)
    for data in (
        {"action": "take", "ids": ["abc", "-3", "99999999999999999999999"]},
        {"action": "bogus", "ids": ["1"]},
        {"action": "priority", "ids": ["1"], "priority": "7", "reason": "x"},
        {"action": "assign", "ids": ["1"], "assignee": "x"},
    ):
        response = client.post("/console/bulk/", data, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert 'data-testid="bulk-error"' in response.content.decode()


def test_a_refused_bulk_action_without_javascript_keeps_what_was_typed_and_ticked(
    make_ticket, agent_l1
):
    # The console came back with an empty bar: the reason typed and the rows ticked were lost.
    first, second = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.IN_DIAGNOSIS)
    client = _client(agent_l1)
    response = client.post(
        "/console/bulk/",
        {
            "action": "priority",  # no priority chosen: refused whole
            "ids": [str(first.pk), str(second.pk)],
            "reason": 'The whole floor <is> "down"',
            "next": "/console/?queue=l1",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/console/?queue=l1"

    page = client.get(response["Location"]).content.decode()

    assert "Choose a priority." in page
    assert 'value="The whole floor &lt;is&gt; &quot;down&quot;"' in page
    assert '<option value="priority" selected>' in page
    for ticket in (first, second):
        assert f'name="ids" value="{ticket.pk}" form="bulk-form" checked' in page
    assert "No ticket selected</span>" not in page  # the count is console.js's (none without it)
    # Once: the next visit shows an empty bar again.
    again = client.get("/console/?queue=l1").content.decode()
    assert "The whole floor" not in again and " checked" not in again.split('id="results"')[1]


def test_rows_not_done_stay_ticked_with_the_values_sent(make_ticket, agent_l1, other_l1):
    # Reassigning a ticket being worked on needs a reason: that row stays ticked, the other
    # (done) does not, and the chosen agent is still chosen to send again with a reason.
    waiting, working = make_ticket(Status.PRIORITIZED), make_ticket(Status.IN_DIAGNOSIS)
    client = _client(agent_l1)
    response = client.post(
        "/console/bulk/",
        {
            "action": "assign",
            "ids": [str(waiting.pk), str(working.pk)],
            "assignee": str(other_l1.pk),
            "next": "/console/?queue=l1",
        },
    )
    page = client.get(response["Location"]).content.decode()
    assert f"{working.reference}: Say why the ticket is reassigned." in page
    assert f'name="ids" value="{working.pk}" form="bulk-form" checked' in page
    assert f'name="ids" value="{waiting.pk}" form="bulk-form" checked' not in page
    assert f'<option value="{other_l1.pk}" selected>' in page


def test_a_bulk_action_done_leaves_an_empty_bar(make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = _client(agent_l1)
    response = client.post(
        "/console/bulk/",
        {"action": "hold", "ids": [str(ticket.pk)], "reason": "Logs?", "next": "/console/"},
    )
    page = client.get(response["Location"]).content.decode()
    assert "Wait on requester: 1 done, 0 not done." in page
    assert 'value="Logs?"' not in page


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Reason: At most 2000 characters (it has 2500)."),
        ("es", "Motivo: Como máximo 2000 caracteres (tiene 2500)."),
    ],
)
def test_an_over_long_bulk_reason_says_which_field_and_is_given_back(
    make_ticket, agent_l1, language, said
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    agent_l1.language = language
    agent_l1.save(update_fields=["language"])
    client = _client(agent_l1)
    reason = "r" * 2500
    response = client.post(
        "/console/bulk/",
        {"action": "hold", "ids": [str(ticket.pk)], "reason": reason, "next": "/console/"},
    )
    page = client.get(response["Location"]).content.decode()
    assert said in page
    assert f'value="{reason}"' in page
    htmx = client.post(
        "/console/bulk/",
        {"action": "hold", "ids": [str(ticket.pk)], "reason": reason},
        HTTP_HX_REQUEST="true",
    )
    assert said in htmx.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS
