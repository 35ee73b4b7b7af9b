"""A real Celery worker and beat on Redis: a breach is recorded, escalated and emailed once."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from sla.models import SlaEvent, SlaEventKind, SlaPolicy, SlaTarget
from tickets.models import Status, Ticket, TicketEvent

ROOT = Path(settings.BASE_DIR)
DEADLINE = 60  # seconds: the only place where the suite waits in real time

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def _wait_for(what: str, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {DEADLINE}s waiting for {what}")


@pytest.fixture
def celery_processes(tmp_path: Path, private_redis) -> Iterator[Path]:
    """A worker and a beat (1 s sweeps) against this test's database and a redis-server of its
    own (a shared Redis database would be shared with any other run of this test meanwhile);
    yields the worker log."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_POOL": "0",
        "CELERY_BROKER_URL": private_redis.url,
        "HELPDESK_VAR_DIR": str(tmp_path),  # the beat schedule and sent-mail/ live here
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "HELPDESK_SLA_SWEEP_SECONDS": "1",
        "HELPDESK_OUTBOX_SWEEP_SECONDS": "1",
    }
    celery = [sys.executable, "-m", "celery", "-A", "helpdesk"]
    log = tmp_path / "worker.log"
    with open(log, "w") as worker_out, open(tmp_path / "beat.log", "w") as beat_out:
        worker = subprocess.Popen(  # noqa: S603
            [*celery, "worker", "--pool=solo", "--loglevel=INFO", "--without-heartbeat"],
            cwd=ROOT,
            env=env,
            stdout=worker_out,
            stderr=subprocess.STDOUT,
        )
        beat = subprocess.Popen(  # noqa: S603
            [*celery, "beat", "--loglevel=INFO", "-s", str(tmp_path / "beat-schedule")],
            cwd=ROOT,
            env=env,
            stdout=beat_out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield log
        finally:
            for process in (beat, worker):
                process.terminate()
            for process in (beat, worker):
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _sweeps_done(log: Path) -> int:
    return sum(
        1
        for line in log.read_text(errors="replace").splitlines()
        if "sla.tasks.sweep_sla[" in line and "succeeded" in line
    )


def _emails(directory: Path, *, to: str, subject_contains: str) -> int:
    if not directory.exists():
        return 0
    count = 0
    for path in directory.iterdir():
        for raw in path.read_bytes().split(b"-" * 79):
            if not raw.strip():
                continue
            message = message_from_bytes(raw.strip())
            if to in str(message["To"]) and subject_contains in str(message["Subject"]):
                count += 1
    return count


def test_a_short_policy_breaches_once_with_a_real_worker_and_beat(
    celery_processes, make_ticket, manager, tmp_path
):
    quick = SlaPolicy.objects.create(name="Seconds", position=1)
    for priority in range(1, 6):
        SlaTarget.objects.create(
            policy=quick,
            priority=priority,
            first_response=timedelta(hours=1),
            resolution=timedelta(seconds=3),
        )
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    mail_dir = tmp_path / "sent-mail"

    def breach_handled() -> bool:
        escalated = Ticket.objects.filter(pk=ticket.pk, status=Status.ESCALATED).exists()
        return escalated and _emails(mail_dir, to=manager.email, subject_contains="Raised") >= 1

    _wait_for("the breach to be escalated and emailed", breach_handled)
    seen = _sweeps_done(celery_processes)
    _wait_for("three more sweeps", lambda: _sweeps_done(celery_processes) >= seen + 3)

    breaches = SlaEvent.objects.filter(ticket=ticket, kind=SlaEventKind.BREACH)
    assert list(breaches.values_list("metric", flat=True)) == ["resolution"]
    assert breaches.get().applied_at is not None
    assert TicketEvent.objects.filter(ticket=ticket, transition="escalate_for_breach").count() == 1
    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier) == (Status.ESCALATED, 2)
    assert _emails(mail_dir, to=manager.email, subject_contains="Raised") == 1
