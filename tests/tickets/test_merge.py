"""Issue 21 item 6: merge a duplicate B into A — B closed as a duplicate with a link, its
conversation shown on A (to whom: see docs/architecture.md), each requester notified once,
B's SLA clocks cancelled; agents only."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_fsm import TransitionNotAllowed

from escalation.models import Tier
from helpdesk.errors import DomainError
from notifications.models import Notification, NotificationKind
from notifications.services import notification_deliver
from sla.models import ClockState, SlaClock
from tests.factories import AgentFactory
from tickets import services
from tickets.bulk import BulkArgs, tickets_bulk_apply
from tickets.models import ClosureCode, Status, TicketEvent

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _notes(recipient) -> list[tuple[str, dict]]:
    return [
        (n.kind, n.context)
        for n in Notification.objects.filter(recipient=recipient).order_by("pk")
        if n.kind in (NotificationKind.STATUS_CHANGED, NotificationKind.TICKET_MERGED)
    ]


def test_merge_closes_the_duplicate_with_a_link_and_cancels_its_clocks(make_ticket, agent_l1):
    keep, duplicate = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.PRIORITIZED)
    assert SlaClock.objects.filter(ticket=duplicate, state=ClockState.RUNNING).exists()

    merged = services.ticket_merge(ticket=duplicate, into=keep, actor=agent_l1)

    assert (merged.status, merged.closure_code, merged.merged_into_id) == (
        Status.CLOSED,
        ClosureCode.DUPLICATE,
        keep.pk,
    )
    assert merged.closed_at is not None
    event = TicketEvent.objects.get(ticket=duplicate, transition="merge")
    assert (event.from_status, event.to_status, event.actor_id) == (
        Status.PRIORITIZED,
        Status.CLOSED,
        agent_l1.pk,
    )
    assert event.changes["merged_into_id"] == [None, keep.pk]
    # The kept ticket records what came in; its own state does not change.
    on_keep = TicketEvent.objects.get(ticket=keep, changes__has_key="merged_ticket_id")
    assert on_keep.changes == {"merged_ticket_id": [None, duplicate.pk]}
    keep.refresh_from_db()
    assert keep.status == Status.IN_DIAGNOSIS
    # No clock of the duplicate runs on: cancelled (neither met nor breached).
    clocks = SlaClock.objects.filter(ticket=duplicate)
    assert clocks.exists()
    assert not clocks.filter(state__in=[ClockState.RUNNING, ClockState.PAUSED]).exists()
    assert clocks.filter(state=ClockState.CANCELLED).exists()


def test_same_requester_hears_once_where_the_conversation_continues(
    make_ticket, agent_l1, requester, django_capture_on_commit_callbacks
):
    keep, duplicate = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.NEW)
    Notification.objects.all().delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_merge(ticket=duplicate, into=keep, actor=agent_l1)
    assert _notes(requester) == [
        (
            NotificationKind.STATUS_CHANGED,
            {
                "to_status": "closed",
                "summary": "",
                "reason": "",
                "duplicate": "1",
                "merged_into": keep.reference,
            },
        )
    ]
    note = Notification.objects.get(recipient=requester)
    notification_deliver(notification_id=note.pk)
    body = mail.outbox[-1].body
    assert f"It was a duplicate of your ticket {keep.reference}" in body


def test_different_requesters_each_hear_once_and_learn_nothing_of_the_other(
    make_ticket, agent_l1, requester, other_requester
):
    keep = make_ticket(Status.IN_DIAGNOSIS, requester=other_requester)
    duplicate = make_ticket(Status.PRIORITIZED)  # the fixture requester's
    Notification.objects.all().delete()

    services.ticket_merge(ticket=duplicate, into=keep, actor=agent_l1)

    [(kind, context)] = _notes(requester)
    assert kind == NotificationKind.STATUS_CHANGED
    assert context["merged_into"] == ""  # someone else's ticket: not named
    assert _notes(other_requester) == [(NotificationKind.TICKET_MERGED, {})]
    for note in Notification.objects.filter(kind__in=["status_changed", "ticket_merged"]):
        notification_deliver(notification_id=note.pk)
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert keep.reference not in bodies[requester.email]
    assert duplicate.reference not in bodies[other_requester.email]
    assert "It was a duplicate: the same problem" in bodies[requester.email]
    assert "Another report of the same problem was added" in bodies[other_requester.email]


@pytest.mark.parametrize("language", ["es"])
def test_the_merge_emails_speak_the_requesters_language(
    make_ticket, agent_l1, requester, other_requester, language
):
    for person in (requester, other_requester):
        person.language = language
        person.save(update_fields=["language"])
    keep = make_ticket(Status.IN_DIAGNOSIS, requester=other_requester)
    duplicate = make_ticket(Status.PRIORITIZED)
    Notification.objects.all().delete()
    mail.outbox.clear()
    services.ticket_merge(ticket=duplicate, into=keep, actor=agent_l1)
    for note in Notification.objects.all():
        notification_deliver(notification_id=note.pk)
    bodies = {m.to[0]: (m.subject, m.body) for m in mail.outbox}
    assert "Era un duplicado" in bodies[requester.email][1]
    subject, body = bodies[other_requester.email]
    assert "Se ha añadido otro aviso" in subject
    assert "Se ha añadido a su ticket" in body


# --- refusals ------------------------------------------------------------------------------------


def test_merging_into_itself_or_a_closed_ticket_is_a_400(make_ticket, agent_l1):
    ticket, closed = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.CLOSED)
    with pytest.raises(DomainError) as itself:
        services.ticket_merge(ticket=ticket, into=ticket, actor=agent_l1)
    assert itself.value.field == "into"
    with pytest.raises(DomainError) as into_closed:
        services.ticket_merge(ticket=ticket, into=closed, actor=agent_l1)
    assert "is closed" in into_closed.value.message


def test_merging_a_closed_ticket_is_a_409(make_ticket, agent_l1):
    keep, duplicate = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.PRIORITIZED)
    other = make_ticket(Status.IN_DIAGNOSIS)
    services.ticket_merge(ticket=duplicate, into=keep, actor=agent_l1)
    with pytest.raises(TransitionNotAllowed):  # merged already: someone else was quicker
        services.ticket_merge(ticket=duplicate, into=other, actor=agent_l1)


def test_only_agents_who_work_on_the_duplicate_merge_it(
    make_ticket, agent_l1, agent_l2, requester, manager
):
    keep, duplicate = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.PRIORITIZED)
    for user in (requester, manager):
        with pytest.raises(PermissionDenied):
            services.ticket_merge(ticket=duplicate, into=keep, actor=user)
    with pytest.raises(PermissionDenied):  # an L1 ticket: not L2's to close
        services.ticket_merge(ticket=duplicate, into=keep, actor=agent_l2)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.PRIORITIZED


# --- the API -------------------------------------------------------------------------------------


def test_api_merge(api, make_ticket, agent_l1):
    keep, duplicate = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.PRIORITIZED)
    response = api(agent_l1).post(
        f"/api/tickets/{duplicate.pk}/merge/", {"into": keep.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "closed"
    again = api(agent_l1).post(
        f"/api/tickets/{duplicate.pk}/merge/", {"into": keep.pk}, format="json"
    )
    assert again.status_code == 409


def test_api_merge_failure_paths(api, make_ticket, agent_l1, agent_l2, requester, manager):
    keep, duplicate = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.PRIORITIZED)
    url = f"/api/tickets/{duplicate.pk}/merge/"
    for payload in ({}, {"into": "x"}, {"into": 0}, {"into": 2**70}):
        assert api(agent_l1).post(url, payload, format="json").status_code == 400
    missing = api(agent_l1).post(url, {"into": 999_999}, format="json")
    assert missing.status_code == 400 and missing.json()["errors"] == {"into": ["No such ticket."]}
    itself = api(agent_l1).post(url, {"into": duplicate.pk}, format="json")
    assert itself.status_code == 400
    # L2 cannot read L1's tickets: the duplicate is a 404 for them.
    assert api(agent_l2).post(url, {"into": keep.pk}, format="json").status_code == 404
    # The requester reads their ticket but may not merge it; the manager reads but never works.
    assert api(requester).post(url, {"into": keep.pk}, format="json").status_code == 403
    assert api(manager).post(url, {"into": keep.pk}, format="json").status_code == 403
    duplicate.refresh_from_db()
    assert duplicate.status == Status.PRIORITIZED


def test_api_merge_into_a_ticket_the_agent_cannot_read_is_a_400(
    api, make_ticket, agent_l1, agent_l2
):
    at_l2 = make_ticket(Status.ESCALATED)
    services.ticket_take(ticket=at_l2, actor=agent_l2)
    at_l1 = make_ticket(Status.IN_DIAGNOSIS)  # L2 cannot read it
    response = api(agent_l2).post(
        f"/api/tickets/{at_l2.pk}/merge/", {"into": at_l1.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["message"] == "No such ticket."


def test_bulk_merge_into_one_ticket(make_ticket, agent_l1):
    keep = make_ticket(Status.IN_DIAGNOSIS)
    b, c = make_ticket(Status.NEW), make_ticket(Status.PRIORITIZED)
    outcomes = tickets_bulk_apply(
        actor=agent_l1, action="merge", ids=[b.pk, keep.pk, c.pk], args=BulkArgs(into=keep.pk)
    )
    assert [(o.ticket_id, o.code) for o in outcomes] == [
        (b.pk, 200),
        (keep.pk, 400),
        (c.pk, 200),
    ]
    assert outcomes[1].message == "A ticket cannot be merged into itself."
    assert set(keep.merged_tickets.values_list("pk", flat=True)) == {b.pk, c.pk}


def test_bulk_merge_needs_a_readable_target(api, make_ticket, agent_l1):
    ticket = make_ticket(Status.NEW)
    for args in ({}, {"into": 999_999}):
        response = api(agent_l1).post(
            "/api/tickets/bulk/",
            {"action": "merge", "ids": [ticket.pk], "args": args},
            format="json",
        )
        assert response.status_code == 400
        assert "into" in response.json()["errors"]


# --- what the kept ticket shows, to whom -------------------------------------------------------


def _with_conversation(ticket, requester, agent):
    services.comment_create(
        ticket=ticket,
        actor=requester,
        body="Also the printer on floor 2",
        files=[SimpleUploadedFile("log.txt", b"printer log", content_type="text/plain")],
    )
    services.comment_create(ticket=ticket, actor=agent, body="Secret triage note", is_internal=True)


def test_staff_see_the_duplicates_conversation_marked_from_it(make_ticket, agent_l1, requester):
    keep, duplicate = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.IN_DIAGNOSIS)
    _with_conversation(duplicate, requester, agent_l1)
    services.ticket_merge(ticket=duplicate, into=keep, actor=agent_l1)

    body = _client(agent_l1).get(f"/tickets/{keep.pk}/").content.decode()
    assert f"from {duplicate.reference}" in body
    assert "Also the printer on floor 2" in body
    assert "Secret triage note" in body  # internal notes stay for staff
    assert f'data-merged="{duplicate.pk}"' in body  # its opening message (title, description)
    assert "log.txt" in body
    # The duplicate's page links to where it went.
    dup_page = _client(agent_l1).get(f"/tickets/{duplicate.pk}/").content.decode()
    assert 'data-testid="merged-into"' in dup_page and keep.reference in dup_page


def test_the_same_requester_sees_their_public_words_but_no_internal_note(
    make_ticket, agent_l1, requester
):
    keep, duplicate = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.IN_DIAGNOSIS)
    _with_conversation(duplicate, requester, agent_l1)
    services.ticket_merge(ticket=duplicate, into=keep, actor=agent_l1)
    client = _client(requester)

    body = client.get(f"/tickets/{keep.pk}/").content.decode()
    assert "Also the printer on floor 2" in body
    assert f"from {duplicate.reference}" in body
    assert "Secret triage note" not in body
    attachment = duplicate.attachments.get()
    download = client.get(f"/tickets/{keep.pk}/files/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"printer log"
    # The duplicate's own page says where the conversation continues.
    dup_page = client.get(f"/tickets/{duplicate.pk}/").content.decode()
    assert 'data-testid="merged-into"' in dup_page and keep.reference in dup_page


def test_another_requester_sees_nothing_of_the_duplicate(
    make_ticket, agent_l1, requester, outsider
):
    keep = make_ticket(Status.IN_DIAGNOSIS, requester=outsider)
    duplicate = make_ticket(Status.IN_DIAGNOSIS)
    _with_conversation(duplicate, requester, agent_l1)
    services.ticket_merge(ticket=duplicate, into=keep, actor=agent_l1)
    client = _client(outsider)

    body = client.get(f"/tickets/{keep.pk}/").content.decode()
    assert "Also the printer on floor 2" not in body
    assert duplicate.reference not in body
    assert requester.name not in body
    attachment = duplicate.attachments.get()
    assert client.get(f"/tickets/{keep.pk}/files/{attachment.pk}/").status_code == 404
    # Nor through the kept ticket's tracking link.
    tracking = Client().get(f"/t/{keep.tracking_token}/").content.decode()
    assert "Also the printer on floor 2" not in tracking
    # The duplicate's requester is told it was a duplicate, not of which ticket.
    dup_page = _client(requester).get(f"/tickets/{duplicate.pk}/").content.decode()
    assert 'data-testid="duplicate"' in dup_page and keep.reference not in dup_page


def test_merge_from_the_ticket_page(make_ticket, agent_l1):
    keep, duplicate = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.PRIORITIZED)
    client = _client(agent_l1)
    page = client.get(f"/tickets/{duplicate.pk}/").content.decode()
    assert 'data-action="merge"' in page

    refused = client.post(f"/tickets/{duplicate.pk}/do/merge/", {"merge-into": "INC-999999"})
    assert refused.status_code == 400
    assert "No such ticket." in refused.content.decode()
    itself = client.post(f"/tickets/{duplicate.pk}/do/merge/", {"merge-into": str(duplicate.pk)})
    assert itself.status_code == 400

    done = client.post(f"/tickets/{duplicate.pk}/do/merge/", {"merge-into": keep.reference})
    assert done.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == keep.pk


def test_a_second_agent_of_another_tier_cannot_merge_from_the_page(
    make_ticket, agent_l1, requester
):
    keep, duplicate = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.PRIORITIZED)
    requester_page = _client(requester).post(
        f"/tickets/{duplicate.pk}/do/merge/", {"merge-into": str(keep.pk)}
    )
    assert requester_page.status_code == 404  # not a requester's action
    other = AgentFactory(username="agent_l3_x", tier=Tier.L3)
    response = _client(other).post(
        f"/tickets/{duplicate.pk}/do/merge/", {"merge-into": str(keep.pk)}
    )
    assert response.status_code == 404  # L3 does not read L1's ticket
    duplicate.refresh_from_db()
    assert duplicate.status == Status.PRIORITIZED


def test_api_detail_links_the_duplicate_for_staff_only(api, make_ticket, agent_l1, requester):
    keep, duplicate = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.PRIORITIZED)
    services.ticket_merge(ticket=duplicate, into=keep, actor=agent_l1)
    staff = api(agent_l1).get(f"/api/tickets/{duplicate.pk}/").json()
    assert (staff["merged_into"], staff["closure_code"]) == (keep.pk, "duplicate")
    own = api(requester).get(f"/api/tickets/{duplicate.pk}/").json()
    assert "merged_into" not in own and own["closure_code"] == "duplicate"
