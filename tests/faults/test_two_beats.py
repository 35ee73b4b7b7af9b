"""Beat started twice by mistake: every periodic task runs twice at the same moment, on the
same due rows. Each effect — auto-close, incident reminder, call-hold release, breach clock,
SLA breach, email — still happens exactly once."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from django.db.models import Count
from django.utils import timezone

from breaches import services as breach_services
from breaches.models import BreachClockEvent
from breaches.tasks import sweep_breach_clocks
from escalation.services import call_schedule
from escalation.tasks import resume_held_for_calls
from incidents import services as incident_services
from incidents.tasks import remind_overdue_updates
from notifications.models import Notification
from notifications.tasks import flush_outbox
from sla.models import SlaEvent
from sla.tasks import sweep_sla
from tickets import services
from tickets.models import Level, Status, Ticket, TicketEvent
from tickets.tasks import auto_close_resolved

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

BEAT = (
    auto_close_resolved,
    remind_overdue_updates,
    resume_held_for_calls,
    sweep_breach_clocks,
    sweep_sla,
    flush_outbox,
)


def _one_beat() -> list[object]:
    results: list[object] = []
    for task in BEAT:
        results.append(task())  # the task body, synchronously, as a worker would run it
    return results


def _twice_at_once() -> list[object]:
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = _one_beat()
        except Exception as exc:  # collected for the assertion
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_beats_at_once_do_everything_once(
    make_ticket, requester, agent_l1, agent_l2, security_officer, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        resolved = make_ticket(Status.RESOLVED, title="Resolved, left unconfirmed")
        held = services.ticket_take(ticket=make_ticket(Status.ESCALATED), actor=agent_l2)
        call_schedule(
            ticket=held,
            actor=agent_l2,
            starts_at=start + timedelta(hours=2),
            duration_minutes=30,
            medium="phone",
            link_or_number="+34 600 000 000",
            hold_until_call=True,
        )
        major = make_ticket(Status.IN_DIAGNOSIS, title="Outage")
        major = services.ticket_update(
            ticket=major, actor=agent_l1, impact=Level.HIGH, urgency=Level.HIGH, reason="Outage"
        )
        incident_services.major_incident_declare(
            ticket=major,
            actor=agent_l1,
            public_title="Email is slow",
            message="Investigating.",
            next_update_due_at=start + timedelta(minutes=30),
        )
        breach_services.breach_flag_ticket(ticket=major, actor=agent_l1, description="Leak")
        traveller.move_to(start + timedelta(days=settings.HELPDESK_AUTO_CLOSE_DAYS, hours=1))
        mail.outbox.clear()

        first, second = _twice_at_once()
        assert not isinstance(first, Exception), first
        assert not isinstance(second, Exception), second

    assert TicketEvent.objects.filter(ticket=resolved, transition="close").count() == 1
    assert Ticket.objects.get(pk=resolved.pk).status == Status.CLOSED
    assert TicketEvent.objects.filter(ticket=held, transition="resume").count() == 1
    assert BreachClockEvent.objects.count() == 1  # only the highest threshold passed (72 h)
    duplicated_sla = (
        SlaEvent.objects.values("ticket", "metric", "cycle", "kind")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicated_sla.exists()
    assert SlaEvent.objects.exists() and not SlaEvent.objects.filter(applied_at=None).exists()
    duplicated_mail = (
        Notification.objects.values("kind", "ticket", "recipient", "context")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicated_mail.exists()
    reminders = Notification.objects.filter(kind__icontains="overdue")
    assert reminders.exists()
    # Every email went out once: as many messages as delivered notifications.
    sent = Notification.objects.filter(status="sent", sent_at__isnull=False).count()
    assert sent > 0
    assert len(mail.outbox) == sent
