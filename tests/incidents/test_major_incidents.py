"""Major incidents: declaring, linking, updates to every requester, resolution propagation."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from helpdesk.errors import ConflictError, DomainError
from incidents import services
from incidents.models import IncidentStatus, LinkOutcome, MajorIncidentLink
from notifications.models import Notification, NotificationKind
from notifications.services import notification_deliver
from tests.factories import UserFactory
from tickets import services as ticket_services
from tickets.models import ClosureCode, EventKind, Status, Ticket

pytestmark = pytest.mark.django_db

IN_30_MIN = timedelta(minutes=30)


def _children(make_ticket, count: int, status=Status.IN_DIAGNOSIS) -> list[Ticket]:
    return [
        make_ticket(status, requester=UserFactory(language="es" if n % 2 else "en"))
        for n in range(count)
    ]


def test_only_a_p1_can_be_declared(make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3

    with pytest.raises(DomainError):
        services.major_incident_declare(
            ticket=ticket,
            actor=agent_l1,
            public_title="x",
            message="x",
            next_update_due_at=timezone.now() + IN_30_MIN,
        )


def test_a_requester_cannot_declare(p1_ticket, requester):
    with pytest.raises(PermissionDenied):
        services.major_incident_declare(
            ticket=p1_ticket,
            actor=requester,
            public_title="x",
            message="x",
            next_update_due_at=timezone.now() + IN_30_MIN,
        )


def test_declaring_posts_the_first_update_to_the_parents_requester(incident, requester):
    assert incident.status == IncidentStatus.INVESTIGATING
    assert incident.updates.count() == 1
    notification = Notification.objects.get(kind=NotificationKind.MAJOR_INCIDENT_UPDATE)
    assert notification.recipient == requester
    assert incident.ticket.events.filter(kind=EventKind.CHANGE, changes__has_key="major_incident")


def test_declaring_twice_is_a_conflict(incident, agent_l1):
    with pytest.raises(ConflictError):
        services.major_incident_declare(
            ticket=incident.ticket,
            actor=agent_l1,
            public_title="again",
            message="x",
            next_update_due_at=timezone.now() + IN_30_MIN,
        )


def test_an_update_needs_a_next_update_time_in_the_future(incident, agent_l1):
    with pytest.raises(DomainError):
        services.status_update_post(
            incident=incident, actor=agent_l1, status=IncidentStatus.IDENTIFIED, message="Found"
        )
    with pytest.raises(DomainError):
        services.status_update_post(
            incident=incident,
            actor=agent_l1,
            status=IncidentStatus.IDENTIFIED,
            message="Found",
            next_update_due_at=timezone.now() - IN_30_MIN,
        )


def test_each_update_reaches_every_linked_requester_once_in_their_language(
    incident, make_ticket, agent_l1, requester
):
    children = _children(make_ticket, 4)
    # The parent's requester also has a linked ticket: still one email per update.
    children.append(make_ticket(Status.NEW, requester=requester))
    for child in children:
        services.major_incident_link(incident=incident, ticket=child, actor=agent_l1)

    update = services.status_update_post(
        incident=incident,
        actor=agent_l1,
        status=IncidentStatus.IDENTIFIED,
        message="A storage node failed; failing over.",
        message_es="Ha fallado un nodo de almacenamiento.",
        next_update_due_at=timezone.now() + IN_30_MIN,
    )

    rows = Notification.objects.filter(
        kind=NotificationKind.MAJOR_INCIDENT_UPDATE, dedupe_key__contains=f":{update.pk}:"
    )
    expected = {requester.pk} | {child.requester_id for child in children}
    assert sorted(rows.values_list("recipient_id", flat=True)) == sorted(expected)
    mail.outbox.clear()
    for row in rows:
        assert notification_deliver(notification_id=row.pk)
        assert not notification_deliver(notification_id=row.pk)  # a retry sends nothing
    assert len(mail.outbox) == len(expected)
    by_address = {message.to[0]: message for message in mail.outbox}
    spanish = next(c.requester for c in children if c.requester.language == "es")
    english = next(c.requester for c in children if c.requester.language == "en")
    assert "Ha fallado un nodo de almacenamiento." in by_address[spanish.email].body
    assert "El correo llega con retraso" in by_address[spanish.email].body
    assert "A storage node failed; failing over." in by_address[english.email].body
    for message in mail.outbox:
        assert "db-7" not in message.body  # the internal ticket title never leaks


def test_resolving_resolves_every_child_with_the_parents_summary(
    incident, make_ticket, agent_l1, agent_l2
):
    working = _children(make_ticket, 3, Status.IN_DIAGNOSIS)
    on_hold = make_ticket(Status.ON_HOLD, requester=UserFactory())
    untouched = make_ticket(Status.NEW, requester=UserFactory())
    escalated = make_ticket(Status.ESCALATED, requester=UserFactory())  # at L2
    done = make_ticket(Status.RESOLVED, requester=UserFactory())
    children = [*working, on_hold, untouched, escalated, done]
    for child in children:
        services.major_incident_link(incident=incident, ticket=child, actor=agent_l1)

    services.status_update_post(
        incident=incident,
        actor=agent_l1,  # an L1 agent: the major incident's authority covers the L2 child
        status=IncidentStatus.RESOLVED,
        message="Storage replaced; mail is flowing again.",
    )

    incident.refresh_from_db()
    assert incident.is_resolved and incident.resolved_at is not None
    parent = Ticket.objects.get(pk=incident.ticket_id)
    assert parent.status == Status.RESOLVED
    for child in [*working, on_hold]:
        child.refresh_from_db()
        assert child.status == Status.RESOLVED
        assert child.resolution_summary == "Storage replaced; mail is flowing again."
        assert child.events.filter(transition="resolve", actor=agent_l1).exists()
    for child in (untouched, escalated):
        child.refresh_from_db()
        assert (child.status, child.closure_code) == (Status.CLOSED, ClosureCode.DUPLICATE)
        assert child.resolution_summary == "Storage replaced; mail is flowing again."
    outcomes = dict(MajorIncidentLink.objects.values_list("ticket_id", "follow_outcome"))
    assert outcomes[done.pk] == LinkOutcome.UNCHANGED
    assert outcomes[working[0].pk] == LinkOutcome.RESOLVED
    assert outcomes[untouched.pk] == LinkOutcome.CLOSED_AS_DUPLICATE
    # Each child's requester hears the resolution (with the summary) on their own ticket.
    resolved_mail = Notification.objects.filter(
        kind=NotificationKind.STATUS_CHANGED, ticket=working[0], context__to_status="resolved"
    ).get()
    assert resolved_mail.context["summary"] == "Storage replaced; mail is flowing again."


def test_resolving_the_parent_ticket_resolves_the_incident_and_children(
    incident, make_ticket, agent_l1
):
    child = make_ticket(Status.IN_DIAGNOSIS, requester=UserFactory())
    services.major_incident_link(incident=incident, ticket=child, actor=agent_l1)

    ticket_services.ticket_resolve(
        ticket=incident.ticket, actor=agent_l1, summary="Fixed the router.", code="fixed"
    )

    incident.refresh_from_db()
    child.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.updates.first().message == "Fixed the router."
    assert (child.status, child.resolution_summary) == (Status.RESOLVED, "Fixed the router.")


def test_a_resolved_incident_takes_no_more_updates_or_links(incident, make_ticket, agent_l1):
    services.status_update_post(
        incident=incident, actor=agent_l1, status=IncidentStatus.RESOLVED, message="Done"
    )

    with pytest.raises(ConflictError):
        services.status_update_post(
            incident=incident,
            actor=agent_l1,
            status=IncidentStatus.MONITORING,
            message="x",
            next_update_due_at=timezone.now() + IN_30_MIN,
        )
    with pytest.raises(ConflictError):
        services.major_incident_link(
            incident=incident, ticket=make_ticket(Status.NEW), actor=agent_l1
        )


def test_a_ticket_belongs_to_one_incident_and_the_parent_cannot_be_its_own_child(
    incident, make_ticket, agent_l1
):
    with pytest.raises(DomainError):
        services.major_incident_link(incident=incident, ticket=incident.ticket, actor=agent_l1)
    child = make_ticket(Status.NEW)
    first = services.major_incident_link(incident=incident, ticket=child, actor=agent_l1)
    assert services.major_incident_link(incident=incident, ticket=child, actor=agent_l1) == first


def test_an_agent_cannot_link_a_ticket_they_cannot_see(incident, make_ticket, agent_l3):
    ticket = make_ticket(Status.NEW)  # at L1; an L3 agent does not see it

    with pytest.raises(Http404):
        services.major_incident_link(incident=incident, ticket=ticket, actor=agent_l3)


# --- the overdue reminder ------------------------------------------------------------------------


def test_an_overdue_update_reminds_the_owner_once(incident, agent_l1):
    later = timezone.now() + IN_30_MIN + timedelta(minutes=1)
    assert services.overdue_updates_remind(now=timezone.now()) == 0

    assert services.overdue_updates_remind(now=later) == 1
    assert services.overdue_updates_remind(now=later) == 0

    reminders = Notification.objects.filter(kind=NotificationKind.MAJOR_INCIDENT_OVERDUE)
    assert list(reminders.values_list("recipient", flat=True)) == [agent_l1.pk]
    with time_machine.travel(later):
        assert notification_deliver(notification_id=reminders.get().pk)
    assert "overdue" in mail.outbox[-1].subject


def test_a_newer_update_replaces_the_old_promise(incident, agent_l1):
    services.status_update_post(
        incident=incident,
        actor=agent_l1,
        status=IncidentStatus.IDENTIFIED,
        message="Found it",
        next_update_due_at=timezone.now() + timedelta(hours=2),
    )

    assert services.overdue_updates_remind(now=timezone.now() + timedelta(hours=1)) == 0
    assert services.overdue_updates_remind(now=timezone.now() + timedelta(hours=3)) == 1


def test_a_resolved_incident_is_never_overdue(incident, agent_l1):
    services.status_update_post(
        incident=incident, actor=agent_l1, status=IncidentStatus.RESOLVED, message="Done"
    )

    assert services.overdue_updates_remind(now=timezone.now() + timedelta(days=1)) == 0
