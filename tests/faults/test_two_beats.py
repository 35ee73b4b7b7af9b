"""Beat started twice by mistake: every periodic task runs twice, on the same due rows. Each
effect — auto-close, incident reminder, call-hold release, breach clock, SLA breach, email —
still happens exactly once.

Two ways: every task body twice at the same instant in threads (the tightest race), and two
real `celery beat` processes on one broker with a real worker, every entry of the schedule
every second, for about twenty seconds.
"""

import re
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
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
from notifications.services import _headers
from notifications.tasks import flush_outbox
from sla.models import SlaEvent
from sla.tasks import sweep_sla
from tests.faults.conftest import celery_env, celery_process, poll
from tickets import services
from tickets.models import Level, Status, Ticket, TicketEvent
from tickets.tasks import auto_close_resolved

pytestmark = [
    # Real processes (gunicorn, celery, beat, nginx, redis): one at a time on one xdist worker, so
    # two such tests never starve each other's start-up on a 2-core machine.
    pytest.mark.xdist_group("processes"),
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


def _due_work(*, start, make_ticket, agent_l1, agent_l2) -> tuple[Ticket, Ticket]:  # type: ignore[no-untyped-def]
    """At `start` (time travelled): a resolved ticket, one held until a call in 2 hours, a major
    incident whose update is due in 30 minutes, flagged as a data breach. Returns (resolved,
    held); everything is due HELPDESK_AUTO_CLOSE_DAYS days and an hour later."""
    with time_machine.travel(start, tick=False):
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
    return resolved, held


def _assert_everything_once(*, resolved: Ticket, held: Ticket) -> None:
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
    assert Notification.objects.filter(kind__icontains="overdue").exists()  # the reminders


def test_two_beats_at_once_do_everything_once(
    make_ticket, requester, agent_l1, agent_l2, security_officer, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    start = timezone.now()
    resolved, held = _due_work(
        start=start, make_ticket=make_ticket, agent_l1=agent_l1, agent_l2=agent_l2
    )
    with time_machine.travel(
        start + timedelta(days=settings.HELPDESK_AUTO_CLOSE_DAYS, hours=1), tick=False
    ):
        mail.outbox.clear()
        first, second = _twice_at_once()
        assert not isinstance(first, Exception), first
        assert not isinstance(second, Exception), second

    _assert_everything_once(resolved=resolved, held=held)
    # Every email went out once: as many messages as delivered notifications.
    sent = Notification.objects.filter(status="sent", sent_at__isnull=False).count()
    assert sent > 0
    assert len(mail.outbox) == sent


# --- two real beat processes -------------------------------------------------------------------

RUN_SECONDS = 20  # every entry fires every second in each beat: ~20 duplicate rounds each
EVERY_SECOND = {
    name: "1"
    for name in (
        "HELPDESK_OUTBOX_SWEEP_SECONDS",
        "HELPDESK_AUTO_CLOSE_SWEEP_SECONDS",
        "HELPDESK_CALL_HOLD_SWEEP_SECONDS",
        "HELPDESK_BREACH_CLOCK_SWEEP_SECONDS",
        "HELPDESK_INCIDENT_REMINDER_SWEEP_SECONDS",
        "HELPDESK_SLA_SWEEP_SECONDS",
    )
}


def _sent_by_beat(log: Path) -> Counter[str]:
    """Scheduler: Sending due task sla-sweep (sla.tasks.sweep_sla) -> Counter of task names."""
    found = re.findall(r"Sending due task \S+ \(([\w.]+)\)", log.read_text(errors="replace"))
    return Counter(found)


@pytest.mark.integration
def test_two_real_beat_processes_do_everything_once(
    broker_on, make_ticket, requester, agent_l1, agent_l2, security_officer, tmp_path
):
    # Created in the past (time travelled in this process): the processes see it all due now.
    start = timezone.now() - timedelta(days=django_settings.HELPDESK_AUTO_CLOSE_DAYS, hours=1)
    resolved, held = _due_work(
        start=start, make_ticket=make_ticket, agent_l1=agent_l1, agent_l2=agent_l2
    )
    assert Notification.objects.filter(status="pending").exists()
    broker_on.flush()  # the hand-offs are lost: only the beats' outbox flush can send these
    sent_log = tmp_path / "sent.log"
    env = celery_env(
        broker_url=broker_on.url,
        var_dir=tmp_path,
        EMAIL_BACKEND="tests.faults.slow_mail.SlowBackend",
        SLOW_MAIL_SECONDS="0",
        SLOW_MAIL_LOG=str(sent_log),
        **EVERY_SECOND,
    )
    worker = [
        "worker",
        "--concurrency=2",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    beats = [
        ["beat", "--loglevel=INFO", "-s", str(tmp_path / f"beat-{n}-schedule")] for n in (1, 2)
    ]
    with (
        celery_process(worker, env=env, log=tmp_path / "worker.log"),
        celery_process(beats[0], env=env, log=tmp_path / "beat-1.log"),
        celery_process(beats[1], env=env, log=tmp_path / "beat-2.log"),
    ):
        poll(
            "every effect",
            lambda: (
                Ticket.objects.filter(pk=resolved.pk, status=Status.CLOSED).exists()
                and TicketEvent.objects.filter(ticket=held, transition="resume").exists()
                and BreachClockEvent.objects.exists()
                and SlaEvent.objects.exists()
                and not SlaEvent.objects.filter(applied_at=None).exists()
                and Notification.objects.filter(kind__icontains="overdue").exists()
                and not Notification.objects.exclude(status="sent").exists()
            ),
            timeout=RUN_SECONDS + 30,
        )
        time.sleep(RUN_SECONDS / 2)  # both beats keep firing on rows already done

    runs = [_sent_by_beat(tmp_path / f"beat-{n}.log") for n in (1, 2)]
    for run in runs:  # each beat sent every task several times
        assert set(run) >= {task.name for task in BEAT}, run
        assert min(run[task.name] for task in BEAT) >= 3, run
    _assert_everything_once(resolved=resolved, held=held)
    rows = list(Notification.objects.select_related("recipient", "ticket"))
    assert rows and {row.status for row in rows} == {"sent"}
    sent = Counter(sent_log.read_text().split())
    assert sent == Counter(_headers(row)["Message-ID"] for row in rows), "each email once"
