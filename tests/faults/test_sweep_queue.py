"""The SLA sweep has a queue of its own (`sweeps`), which a worker started without -Q consumes
next to the default one. A backlog of emails in the default queue — after an outage, a storm of
breaches — held each sweep there past its expiry (one interval, so that a late sweep is dropped
rather than run twice), so no sweep ran until the backlog was gone.

A real worker (one process, one task at a time) on a private Redis: twelve emails of 2 s each
are queued, then a sweep that expires in 10 s. It runs while the emails are still going out."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from sla.models import SlaEvent
from sla.tasks import sweep_sla
from tests.faults.conftest import SOLO_WORKER, celery_env, celery_process, poll
from tickets.models import Status

pytestmark = [
    pytest.mark.xdist_group("processes"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a worker process on the test DB"),
]

EMAILS = 12
EMAIL_SECONDS = 2


def test_a_sweep_runs_while_emails_are_backlogged(broker_on, make_ticket, tmp_path):
    # Filed two days ago: every clock is past its due time, and each filing queued an email.
    with time_machine.travel(timezone.now() - timedelta(days=2), tick=False):
        for number in range(EMAILS):
            make_ticket(Status.NEW, title=f"Printer {number}")
    assert broker_on.queued("celery") == EMAILS
    sent_log = tmp_path / "sent.log"

    def sent() -> int:
        return len(sent_log.read_text().split()) if sent_log.exists() else 0

    env = celery_env(
        broker_url=broker_on.url,
        var_dir=tmp_path,
        EMAIL_BACKEND="tests.faults.slow_mail.SlowBackend",
        SLOW_MAIL_LOG=str(sent_log),
        SLOW_MAIL_SECONDS=str(EMAIL_SECONDS),
    )
    with celery_process(SOLO_WORKER, env=env, log=tmp_path / "worker.log"):
        # The worker is up and busy with the backlog before the sweep is published, so its own
        # start-up does not count against the sweep's expiry.
        poll("the first email", lambda: sent() >= 1, timeout=120)
        sweep_sla.apply_async(expires=10)
        poll(
            "the sweep",
            lambda: SlaEvent.objects.filter(applied_at__isnull=False).exists(),
            timeout=EMAILS * EMAIL_SECONDS + 30,
        )
        assert sent() < EMAILS, "the sweep waited for the whole backlog"


def test_each_queue_is_bound_alone_so_no_message_reaches_two():
    from helpdesk.celery import app

    bindings = [(q.exchange.name, q.routing_key) for q in app.amqp.queues.values()]
    assert sorted(app.amqp.queues) == ["celery", "sweeps"]
    assert len(set(bindings)) == len(bindings)
    assert app.amqp.router.route({}, "sla.tasks.sweep_sla")["queue"].name == "sweeps"
    assert app.amqp.router.route({}, "ola.tasks.sweep_ola")["queue"].name == "sweeps"
    assert app.amqp.router.route({}, "notifications.tasks.deliver_notification")["queue"].name == (
        "celery"
    )
