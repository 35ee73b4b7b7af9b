"""The agent's ticket page: fields, timeline, replies and notes, canned responses, transitions."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from escalation.models import Tier
from knowledge.models import CannedResponse
from tests.factories import AgentFactory
from tickets import services
from tickets.models import Comment, Level, Status, TicketEvent

pytestmark = pytest.mark.django_db


def offered(response) -> list[str]:
    return [action["name"] for action in response.context["actions"]]


def test_page_shows_fields_requester_and_a_merged_timeline(client_for, agent_l1, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.comment_create(ticket=ticket, actor=agent_l1, body="Public answer")
    services.comment_create(ticket=ticket, actor=agent_l1, body="Note for L2", is_internal=True)

    response = client_for(agent_l1).get(f"/tickets/{ticket.pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert ticket.requester.email in body
    assert "P3 medium" in body
    kinds = [(item.kind, item.internal) for item in response.context["timeline"]]
    # created, identify, categorize, prioritize, take, then the reply and the note
    assert kinds == [("event", False)] * 5 + [("comment", False), ("comment", True)]
    assert "Note for L2" in body
    assert body.count(" data-internal>") == 1  # the note is marked, visually distinct


def test_only_allowed_transitions_are_offered(client_for, agent_l1, agent_l2, make_ticket):
    assert offered(client_for(agent_l1).get(f"/tickets/{make_ticket().pk}/")) == [
        "triage",
        "cancel",
        "merge",
    ]
    prioritized = make_ticket(Status.PRIORITIZED)
    assert offered(client_for(agent_l1).get(f"/tickets/{prioritized.pk}/")) == [
        "take",
        "start_diagnosis",
        "cancel",
        "merge",
    ]
    in_diagnosis = make_ticket(Status.IN_DIAGNOSIS)
    assert offered(client_for(agent_l1).get(f"/tickets/{in_diagnosis.pk}/")) == [
        "escalate",
        "hold",
        "resolve",
        "cancel",
        "merge",
    ]
    escalated = make_ticket(Status.ESCALATED)
    assert offered(client_for(agent_l1).get(f"/tickets/{escalated.pk}/")) == []
    assert offered(client_for(agent_l2).get(f"/tickets/{escalated.pk}/")) == [
        "take",
        "cancel",
        "merge",
    ]


def test_triage_through_the_form(client_for, agent_l1, make_ticket, category):
    ticket = make_ticket()

    response = client_for(agent_l1).post(
        f"/tickets/{ticket.pk}/do/triage/",
        {
            "triage-kind": "incident",
            "triage-category": category.pk,
            "triage-impact": "high",
            "triage-urgency": "medium",
            "triage-confirm": "on",  # P2: confirmed explicitly
        },
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.category) == (Status.PRIORITIZED, 2, category)
    assert list(ticket.events.filter(kind="transition").values_list("transition", flat=True)) == [
        "identify",
        "categorize",
        "prioritize",
    ]


def test_triage_with_missing_category_is_a_form_error(client_for, agent_l1, make_ticket):
    ticket = make_ticket()

    response = client_for(agent_l1).post(
        f"/tickets/{ticket.pk}/do/triage/",
        {"triage-kind": "incident", "triage-impact": "high", "triage-urgency": "medium"},
    )

    assert response.status_code == 400
    triage = next(a for a in response.context["actions"] if a["name"] == "triage")
    assert "category" in triage["form"].errors
    assert (
        'value="high" selected' in response.content.decode()
        or "selected" in response.content.decode()
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_override_without_reason_is_refused_by_the_service_as_a_form_error(
    client_for, agent_l1, make_ticket, category
):
    ticket = make_ticket()

    response = client_for(agent_l1).post(
        f"/tickets/{ticket.pk}/do/triage/",
        {
            "triage-kind": "incident",
            "triage-category": category.pk,
            "triage-impact": "low",
            "triage-urgency": "low",
            "triage-override": "1",
            "triage-confirm": "on",
        },
    )

    assert response.status_code == 400
    triage = next(a for a in response.context["actions"] if a["name"] == "triage")
    assert triage["form"].errors["reason"]
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_take_escalate_take_resolve(client_for, agent_l1, agent_l2, make_ticket):
    ticket = make_ticket(Status.PRIORITIZED)
    l1, l2 = client_for(agent_l1), client_for(agent_l2)

    l1.post(f"/tickets/{ticket.pk}/do/take/")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.IN_DIAGNOSIS, agent_l1)

    response = l1.post(f"/tickets/{ticket.pk}/do/escalate/", {"escalate-reason": ""})
    assert response.status_code == 400
    l1.post(f"/tickets/{ticket.pk}/do/escalate/", {"escalate-reason": "Needs the network team"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier) == (Status.ESCALATED, Tier.L2)

    l2.post(f"/tickets/{ticket.pk}/do/take/")
    l2.post(
        f"/tickets/{ticket.pk}/do/resolve/",
        {"resolve-summary": "Replaced the switch.", "resolve-code": "fixed"},
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.closure_code) == (
        Status.RESOLVED,
        agent_l2,
        "fixed",
    )


def test_assign_to_an_agent_of_the_tier(client_for, agent_l1, make_ticket):
    colleague = AgentFactory(username="colleague", tier=Tier.L1)
    outsider_agent = AgentFactory(username="l3_person", tier=Tier.L3)
    ticket = make_ticket(Status.PRIORITIZED)
    client = client_for(agent_l1)

    response = client.post(
        f"/tickets/{ticket.pk}/do/start_diagnosis/", {"start_diagnosis-assignee": outsider_agent.pk}
    )
    assert response.status_code == 400  # not an agent of L1: not a valid choice

    client.post(
        f"/tickets/{ticket.pk}/do/start_diagnosis/", {"start_diagnosis-assignee": colleague.pk}
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.IN_DIAGNOSIS, colleague)


def test_hold_resume_cancel(client_for, agent_l1, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = client_for(agent_l1)

    client.post(f"/tickets/{ticket.pk}/do/hold/", {"hold-reason": "Waiting for logs"})
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD
    client.post(f"/tickets/{ticket.pk}/do/resume/", {"resume-reason": ""})
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS
    client.post(f"/tickets/{ticket.pk}/do/cancel/", {"cancel-code": "duplicate"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.closure_code) == (Status.CLOSED, "duplicate")


def test_someone_else_took_it_first_shows_a_message_and_the_current_state(
    client_for, agent_l1, make_ticket
):
    colleague = AgentFactory(username="colleague", tier=Tier.L1)
    ticket = make_ticket(Status.PRIORITIZED)
    mine = client_for(agent_l1)
    assert "take" in offered(mine.get(f"/tickets/{ticket.pk}/"))  # the page I am looking at

    services.ticket_take(ticket=ticket, actor=colleague)  # meanwhile
    response = mine.post(f"/tickets/{ticket.pk}/do/take/")

    assert response.status_code == 409
    message = [str(m) for m in response.context["messages"]]
    assert message == ["You cannot do this now. The ticket is now: In diagnosis."]
    ticket.refresh_from_db()
    assert ticket.assignee == colleague


def test_a_transition_refused_by_the_fsm_shows_a_message(
    client_for, agent_l1, make_ticket, monkeypatch
):
    """The race inside the service (the row changed between the check and the lock)."""
    from django_fsm import TransitionNotAllowed

    ticket = make_ticket(Status.PRIORITIZED)

    def lost_the_race(**kwargs):
        raise TransitionNotAllowed("Can't take", object=ticket, method="take")

    monkeypatch.setattr("tickets.services.ticket_take", lost_the_race)
    response = client_for(agent_l1).post(f"/tickets/{ticket.pk}/do/take/", follow=True)

    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Someone else changed this ticket first. The ticket is now: Prioritized."]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("resolve", {"resolve-summary": "Rebuilt the mail relay", "resolve-code": "fixed"}),
        ("escalate", {"escalate-reason": "Needs the DBA team"}),
        ("hold", {"hold-reason": "Asked for the error log"}),
        ("cancel", {"cancel-code": "duplicate", "cancel-reason": "Same as the VPN one"}),
        ("merge", {"merge-into": "#4711"}),
    ],
)
def test_a_form_refused_because_a_colleague_acted_first_keeps_what_was_typed(
    client_for, agent_l1, make_ticket, name, data
):
    """Two tabs: the agent writes a resolution summary (a reason) while a colleague resolves the
    ticket. Nothing is written, the page says why and shows the form open with the text (it
    redirected to the page with an empty form: the text was lost)."""
    colleague = AgentFactory(username="colleague", tier=Tier.L1)
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.ticket_resolve(ticket=ticket, actor=colleague, summary="Done", code="fixed")

    response = client_for(agent_l1).post(f"/tickets/{ticket.pk}/do/{name}/", data)

    assert response.status_code == 409
    body = response.content.decode()
    assert "You cannot do this now. The ticket is now: Resolved." in body
    text = next(value for key, value in data.items() if not key.endswith("-code"))
    assert text in body
    assert f'open data-action="{name}"' in body
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution_summary) == (Status.RESOLVED, "Done")


def test_a_triage_refused_because_a_colleague_triaged_first_keeps_the_reason(
    client_for, agent_l1, make_ticket, category
):
    colleague = AgentFactory(username="colleague", tier=Tier.L1)
    ticket = make_ticket(Status.NEW)
    services.ticket_triage(
        ticket=ticket,
        actor=colleague,
        kind="incident",
        category=category,
        impact=Level.LOW,
        urgency=Level.LOW,
    )

    response = client_for(agent_l1).post(
        f"/tickets/{ticket.pk}/do/triage/",
        {
            "triage-kind": "incident",
            "triage-category": category.pk,
            "triage-impact": "high",
            "triage-urgency": "high",
            "triage-override": "1",
            "triage-reason": "Whole office is down",
            "triage-confirm": "on",
        },
    )

    assert response.status_code == 409
    body = response.content.decode()
    assert "Whole office is down" in body
    assert 'open data-action="triage"' in body
    ticket.refresh_from_db()
    assert ticket.priority == 5


def test_a_transition_lost_in_the_race_keeps_the_summary(
    client_for, agent_l1, make_ticket, monkeypatch
):
    from django_fsm import TransitionNotAllowed

    ticket = make_ticket(Status.IN_DIAGNOSIS)

    def lost_the_race(**kwargs):
        raise TransitionNotAllowed("Can't resolve", object=ticket, method="resolve")

    monkeypatch.setattr("tickets.services.ticket_resolve", lost_the_race)
    response = client_for(agent_l1).post(
        f"/tickets/{ticket.pk}/do/resolve/",
        {"resolve-summary": "Replaced the <disk>", "resolve-code": "fixed"},
    )

    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this ticket first." in body
    assert "Replaced the &lt;disk&gt;" in body


def test_escalating_beyond_l3_is_a_clear_error(
    client_for, agent_l3, make_ticket, agent_l1, agent_l2
):
    ticket = make_ticket(Status.ESCALATED)
    services.ticket_take(ticket=ticket, actor=agent_l2)
    services.ticket_escalate(ticket=ticket, actor=agent_l2, reason="experts")
    services.ticket_take(ticket=ticket, actor=agent_l3)

    response = client_for(agent_l3).get(f"/tickets/{ticket.pk}/")
    assert "escalate" not in offered(response)

    response = client_for(agent_l3).post(
        f"/tickets/{ticket.pk}/do/escalate/", {"escalate-reason": "more"}, follow=True
    )
    assert response.status_code == 409  # the page again, the reason typed kept
    assert "You cannot do this now." in response.content.decode()


def test_manager_reads_but_cannot_act(client_for, manager, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = client_for(manager)

    response = client.get(f"/tickets/{ticket.pk}/")
    assert response.status_code == 200
    assert offered(response) == []
    assert response.context["read_only"] is True
    assert 'data-testid="reply-form"' not in response.content.decode()

    response = client.post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "hi"}, follow=True)
    assert response.status_code == 403  # the page again, with the reason
    assert "You cannot reply to this ticket." in response.content.decode()
    response = client.post(f"/tickets/{ticket.pk}/do/resolve/", follow=True)
    assert "You cannot do this now." in response.content.decode()
    assert Comment.objects.count() == 0
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS


def test_public_reply_and_internal_note(client_for, agent_l1, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = client_for(agent_l1)

    client.post(
        f"/tickets/{ticket.pk}/reply/",
        {"reply-body": "Try again now", "reply-is_internal": "false"},
    )
    client.post(
        f"/tickets/{ticket.pk}/reply/",
        {
            "reply-body": "Gateway log attached",
            "reply-is_internal": "true",
            "reply-attachments": [SimpleUploadedFile("gw.log", b"log")],
        },
    )

    public, note = Comment.objects.order_by("id")
    assert (public.is_internal, note.is_internal) == (False, True)
    assert note.attachments.get().is_internal is True
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_a_note_on_a_ticket_closed_meanwhile_says_why_and_keeps_the_text(
    client_for, agent_l1, make_ticket
):
    # The requester closed it while the note was typed: the 400 page hid the reply form, so
    # the reason and the note were both gone.
    ticket = make_ticket(Status.CLOSED)
    client = client_for(agent_l1)

    response = client.post(
        f"/tickets/{ticket.pk}/reply/",
        {"reply-body": "Gateway firmware 4.2 fixes it", "reply-is_internal": "true"},
    )

    assert response.status_code == 409
    html = response.content.decode()
    # The agents' words (it said "please open a new one", the requester's): who closed it.
    assert "Not sent: the requester closed this ticket meanwhile." in html
    assert "please open a new one" not in html
    assert "Gateway firmware 4.2 fixes it" in html
    assert Comment.objects.count() == 0
    assert 'data-testid="reply-form"' not in client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_files_for_a_ticket_closed_meanwhile_are_refused_with_the_reason(
    client_for, agent_l1, make_ticket
):
    ticket = make_ticket(Status.CLOSED)

    response = client_for(agent_l1).post(
        f"/tickets/{ticket.pk}/attach/",
        {"attach-attachments": [SimpleUploadedFile("gw.log", b"log")], "attach-is_internal": "on"},
    )

    assert response.status_code == 409
    assert "Not sent: the requester closed this ticket meanwhile." in response.content.decode()
    assert not ticket.attachments.exists()


def test_agent_downloads_internal_files(client_for, agent_l1, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    internal = services.attachment_add(
        ticket=ticket, actor=agent_l1, upload=SimpleUploadedFile("x.txt", b"x"), is_internal=True
    )

    assert client_for(agent_l1).get(f"/tickets/{ticket.pk}/files/{internal.pk}/").status_code == 200


def test_canned_responses_are_rendered_for_the_ticket(client_for, agent_l1, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    CannedResponse.objects.create(
        title="Restart",
        body="Hello {requester_name}, about {ticket_reference}: please restart. {agent_name}",
    )
    CannedResponse.objects.create(title="Old", body="retired", is_active=False)

    response = client_for(agent_l1).get(f"/tickets/{ticket.pk}/")

    [canned] = response.context["canned"]
    assert canned.text == (
        f"Hello {ticket.contact_name}, about {ticket.reference}: please restart. {agent_l1.name}"
    )
    assert f'data-text="{canned.text}"' in response.content.decode()


@pytest.mark.parametrize("extra", [0, 15])
def test_ticket_page_query_count_is_independent_of_history_length(
    extra, client_for, agent_l1, make_ticket, django_assert_num_queries
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    CannedResponse.objects.create(title="Hi", body="Hi {requester_name}")
    for n in range(extra):
        comment = services.comment_create(
            ticket=ticket,
            actor=agent_l1,
            body=f"note {n}",
            is_internal=n % 2 == 0,
            files=[SimpleUploadedFile(f"f{n}.txt", b"x")],
        )
        assert comment.pk
        services.ticket_hold(ticket=ticket, actor=agent_l1, reason=f"wait {n}")
        services.ticket_resume(ticket=ticket, actor=agent_l1)
    client = client_for(agent_l1)

    # 1 session, 2 user, 3 the ticket through the gate (requester, assignee, category, organisation
    # joined), 4 comments with their authors, 5 every attachment of the ticket, 6 events with their
    # actors, 7 names of the assignees named in the events' changes, 8 names of the categories
    # named in them, 9 the agent's tiers (allowed transitions), 10 canned responses, 11 the
    # scheduled calls, 12 the tier's agents (reassign form), 13 the major incident and 14 its
    # links, 15 whether a data breach is linked (the flag form), 16 the SLA clocks, 17-21 the
    # similar-incident search (at most five candidate stages, fewer when enough are found early),
    # 22 related-ticket links, 23 the satisfaction survey, 24 the duplicates merged into it
    # (issue 21; their comments and files only when there are some), 25 the OLA clocks (issue 22).
    # (The triage form's categories and the assign form's agents are queried only on tickets
    # that offer those transitions: one query each.)
    with django_assert_num_queries(25):
        response = client.get(f"/tickets/{ticket.pk}/")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("url", "data", "typed"),
    [
        ("reply/", {"reply-body": "Try the <new> relay"}, "Try the &lt;new&gt; relay"),
        (
            "do/resolve/",
            {"resolve-summary": "Swapped the switch", "resolve-code": "fixed"},
            "Swapped the switch",
        ),
        ("do/hold/", {"hold-reason": "Asked for the logs"}, "Asked for the logs"),
    ],
)
def test_a_write_to_a_ticket_escalated_out_of_the_agents_tier_gives_the_text_back(
    client_for, agent_l2, make_ticket, url, data, typed
):
    """An L2 agent writes while a colleague escalates the ticket to L3, which L2 does not read:
    the gate's 404 lost the text. Still a 404 (nothing revealed), but it says why, with the text
    and nothing of the ticket; nothing is written."""
    colleague = AgentFactory(username="colleague", tier=Tier.L2)
    ticket = services.ticket_take(ticket=make_ticket(Status.ESCALATED), actor=colleague)
    client = client_for(agent_l2)
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 200  # the page being written on
    services.ticket_escalate(ticket=ticket, actor=colleague, reason="Needs the DBA team")

    response = client.post(f"/tickets/{ticket.pk}/{url}", data)

    assert response.status_code == 404
    body = response.content.decode()
    assert typed in body
    assert f"Ticket #{ticket.pk} does not exist or is not one you can read now" in body
    assert ticket.title not in body and "Needs the DBA team" not in body
    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier) == (Status.ESCALATED, Tier.L3)
    assert Comment.objects.count() == 0


def test_a_write_to_a_ticket_out_of_reach_in_spanish(client_for, agent_l2, make_ticket):
    colleague = AgentFactory(username="colleague", tier=Tier.L2)
    ticket = services.ticket_take(ticket=make_ticket(Status.ESCALATED), actor=colleague)
    services.ticket_escalate(ticket=ticket, actor=colleague, reason="DBA")
    agent_l2.language = "es"
    agent_l2.save(update_fields=["language"])

    response = client_for(agent_l2).post(
        f"/tickets/{ticket.pk}/reply/", {"reply-body": "Hola"}, HTTP_ACCEPT_LANGUAGE="es"
    )

    assert response.status_code == 404
    assert "No se ha guardado nada" in response.content.decode()


def test_the_same_answer_whether_the_ticket_exists_or_not(client_for, agent_l2, make_ticket):
    """A ticket L2 never read (L1's) and no ticket at all: the same 404 page, the text given
    back; with nothing typed, the plain 404."""
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # L1's
    client = client_for(agent_l2)

    assert client.post(f"/tickets/{ticket.pk}/do/resolve/", {}).status_code == 404
    hidden = client.post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "x"})
    missing = client.post("/tickets/999999/reply/", {"reply-body": "x"})
    assert hidden.status_code == missing.status_code == 404

    def panel(response, number):
        body = response.content.decode()
        start = body.index('data-testid="out-of-reach"')
        return body[start : body.index("</div>", start)].replace(number, "#N")

    assert panel(hidden, f"#{ticket.pk}") == panel(missing, "#999999")


# --- refused transitions: one answer, whatever the form ------------------------------------------


@pytest.mark.parametrize(
    ("start", "name", "data"),
    [
        (Status.ON_HOLD, "hold", {"hold-reason": ""}),
        (Status.ON_HOLD, "hold", {"hold-reason": "Asked for the logs"}),
        (Status.IN_DIAGNOSIS, "resume", {"resume-reason": ""}),
        (Status.IN_DIAGNOSIS, "resume", {"resume-reason": "Logs arrived"}),
    ],
)
def test_a_refused_hold_or_resume_answers_409_with_the_page_and_why(
    client_for, agent_l1, make_ticket, start, name, data
):
    # A refused hold with a reason answered 409 with the page; a refused resume (or a hold with
    # no reason) redirected to a 200 page, which a script or a test read as done.
    ticket = make_ticket(start)

    response = client_for(agent_l1).post(f"/tickets/{ticket.pk}/do/{name}/", data)

    assert response.status_code == 409
    body = response.content.decode()
    label = "Waiting on requester" if start == Status.ON_HOLD else "In diagnosis"
    assert f"You cannot do this now. The ticket is now: {label}." in body
    assert 'data-testid="status"' in body  # the ticket page itself
    ticket.refresh_from_db()
    assert ticket.status == start


def _closed_by(closer: str, ticket, *, requester):
    """The resolved ticket closed by a colleague ("Carla Colleague"), its requester or the
    automatic close."""
    colleague = AgentFactory(username="colleague", tier=Tier.L1, display_name="Carla Colleague")
    actor = {"colleague": colleague, "requester": requester, "automatic": None}[closer]
    later = timezone.now() + timedelta(days=settings.HELPDESK_AUTO_CLOSE_DAYS + 1)
    with time_machine.travel(later, tick=False):  # the automatic close waits that long
        services.ticket_close(ticket=ticket, actor=actor)
    return ticket


@pytest.mark.parametrize("closer", ["colleague", "requester", "automatic"])
def test_an_agent_acting_on_a_ticket_closed_meanwhile_is_told_who_closed_it(
    client_for, agent_l1, requester, make_ticket, closer
):
    # "You cannot do this now. The ticket is now: Closed." (and for a reply the requester's
    # "please open a new one"): nothing said that someone else closed it, nor what to do.
    ticket = _closed_by(closer, make_ticket(Status.RESOLVED), requester=requester)
    client = client_for(agent_l1)
    expected = {
        "colleague": "\u2068Carla Colleague\u2069 closed this ticket meanwhile.",
        "requester": "the requester closed this ticket meanwhile.",
        "automatic": "this ticket was closed automatically meanwhile.",
    }[closer]

    reply = client.post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "One more thing"})
    hold = client.post(f"/tickets/{ticket.pk}/do/hold/", {"hold-reason": "Waiting on logs"})

    assert reply.status_code == 409
    html = reply.content.decode()
    assert f"Not sent: {expected}" in html
    assert "copy what you wrote if it is still needed" in html
    assert "One more thing</textarea>" in html
    assert "please open a new one" not in html
    assert 'data-testid="reply-send"' not in html  # to copy, not to send again: refused again
    assert hold.status_code == 409
    assert f"Not done: {expected}" in hold.content.decode()
    assert not Comment.objects.exists()


def test_the_closers_name_cannot_reverse_the_sentence(client_for, agent_l1, make_ticket):
    # A display name holding a right-to-left override (U+202E) showed "…closed this ticket
    # meanwhile. A closed ticket takes…" reversed after it: the name is now isolated.
    ticket = make_ticket(Status.RESOLVED)
    closer = AgentFactory(username="rlo", tier=Tier.L1, display_name="Eve \u202eevil")
    services.ticket_close(ticket=ticket, actor=closer)

    response = client_for(agent_l1).post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "Hi"})

    assert response.status_code == 409
    assert "Not sent: \u2068Eve \u202eevil\u2069 closed this ticket meanwhile." in (
        response.content.decode()
    )


def test_an_agent_told_the_ticket_closed_meanwhile_in_spanish(client_for, make_ticket, requester):
    agent = AgentFactory(username="agente", tier=Tier.L1, language="es")
    ticket = make_ticket(Status.CLOSED)

    response = client_for(agent).post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "Hola"})

    assert response.status_code == 409
    assert "No enviado: el solicitante cerró este ticket mientras tanto." in (
        response.content.decode()
    )


@pytest.mark.parametrize("closer", ["colleague", "requester", "automatic"])
def test_a_ticket_closed_long_ago_says_when_not_meanwhile(
    client_for, agent_l1, requester, make_ticket, closer
):
    # A page kept open for days (or a link followed long after) was told "Carla closed this
    # ticket meanwhile." of a close weeks old: "meanwhile" is said only of a recent close.
    ticket = _closed_by(closer, make_ticket(Status.RESOLVED), requester=requester)
    closed = TicketEvent.objects.filter(ticket=ticket, to_status=Status.CLOSED)
    closed.update(created_at=timezone.now() - timedelta(minutes=61))
    client = client_for(agent_l1)
    an_hour_ago = client.post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "Still there?"})
    closed.update(created_at=datetime(2026, 11, 3, 12, tzinfo=UTC))
    expected = {
        "colleague": "\u2068Carla Colleague\u2069 closed this ticket on 3 Nov 2026.",
        "requester": "the requester closed this ticket on 3 Nov 2026.",
        "automatic": "this ticket was closed automatically on 3 Nov 2026.",
    }[closer]

    reply = client.post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "One more thing"})
    hold = client.post(f"/tickets/{ticket.pk}/do/hold/", {"hold-reason": "Waiting on logs"})

    assert an_hour_ago.status_code == 409
    assert "meanwhile" not in an_hour_ago.content.decode()
    assert reply.status_code == 409
    html = reply.content.decode()
    assert f"Not sent: {expected}" in html
    assert "meanwhile" not in html
    assert "copy what you wrote if it is still needed" in html
    assert hold.status_code == 409
    assert f"Not done: {expected}" in hold.content.decode()
    assert not Comment.objects.exists()


def test_a_ticket_closed_long_ago_says_when_in_spanish(client_for, make_ticket, requester):
    agent = AgentFactory(username="agente", tier=Tier.L1, language="es")
    ticket = make_ticket(Status.CLOSED)
    TicketEvent.objects.filter(ticket=ticket, to_status=Status.CLOSED).update(
        created_at=datetime(2026, 11, 3, 12, tzinfo=UTC)
    )

    response = client_for(agent).post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "Hola"})

    assert response.status_code == 409
    assert "No enviado: el solicitante cerró este ticket el 3 nov 2026." in (
        response.content.decode()
    )
