"""A real Celery worker SIGKILLed half-way through a batch of emails.

Every message is delivered at least once. A row marked sent is never sent again. The message
the worker was sending when it died is retried by the outbox flush once its claim is stale
(notifications.services.STALE_CLAIM): if the SMTP conversation had completed but the row was not
yet marked sent, that one message goes out twice — inherent to at-least-once delivery over
SMTP, which has no idempotency key (receivers can dedupe on the Message-ID, which is stable).
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications.models import DeliveryStatus, Notification
from notifications.services import STALE_CLAIM, _headers
from notifications.tasks import flush_outbox
from tickets import services
from tickets.models import Level

pytestmark = [
    # Real processes (gunicorn, celery, beat, nginx, redis): one at a time on one xdist worker, so
    # two such tests never starve each other's start-up on a 2-core machine.
    pytest.mark.xdist_group("processes"),
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

BATCH = 6
SECONDS_PER_MESSAGE = 0.6
ROOT = Path(settings.BASE_DIR)


def _sent(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def _poll(what: str, condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_worker_killed_mid_batch_loses_nothing_and_resends_nothing_marked_sent(
    broker_on, requester, tmp_path, settings
):
    # The batch is queued before the worker starts: each ticket's acknowledgement is a task.
    for number in range(BATCH):
        services.ticket_create(
            requester=requester,
            title=f"Batch {number}",
            description="x",
            urgency=Level.LOW,
        )
    rows = list(Notification.objects.select_related("recipient", "ticket"))
    assert len(rows) >= BATCH
    assert broker_on.queued() == len(rows)

    log = tmp_path / "sent.log"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_POOL": "0",
        "CELERY_BROKER_URL": broker_on.url,
        "HELPDESK_VAR_DIR": str(tmp_path),
        "EMAIL_BACKEND": "tests.faults.slow_mail.SlowBackend",
        "SLOW_MAIL_SECONDS": str(SECONDS_PER_MESSAGE),
        "SLOW_MAIL_LOG": str(log),
        # Half the batch goes out, then the next message hangs until the kill: the worker dies
        # half-way with that one in flight, however slow or quick the machine is.
        "SLOW_MAIL_HANG_AFTER": str(len(rows) // 2),
    }

    output = (tmp_path / "worker.log").open("wb")  # read it when the poll below times out
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool=solo",
         "--loglevel=INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _poll(
            "half the batch sent and the next message in flight",
            lambda: (
                len(_sent(log)) == len(rows) // 2
                and Notification.objects.filter(status=DeliveryStatus.SENDING).exists()
            ),
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        output.close()

    before = Counter(_sent(log))
    marked_sent = {
        row.pk for row in Notification.objects.filter(status=DeliveryStatus.SENT).only("pk")
    }
    assert 0 < len(marked_sent) < len(rows), "killed half-way"
    in_flight = set(
        Notification.objects.filter(status=DeliveryStatus.SENDING).values_list("pk", flat=True)
    )
    assert len(in_flight) <= 1  # solo pool: one message at a time

    # The flush right away leaves the in-flight claim alone (its worker might still be alive)…
    settings.EMAIL_BACKEND = "tests.faults.slow_mail.SlowBackend"
    settings.SLOW_MAIL_SECONDS = 0
    settings.SLOW_MAIL_LOG = str(log)
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        flush_outbox()
    assert (
        set(Notification.objects.filter(status=DeliveryStatus.SENDING).values_list("pk", flat=True))
        == in_flight
    )
    # …and retries it once the claim is stale.
    with time_machine.travel(timezone.now() + STALE_CLAIM + timedelta(minutes=2), tick=False):
        flush_outbox()
        assert flush_outbox() == 0

    assert set(Notification.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    sent = Counter(_sent(log))
    expected = {row.pk: _headers(row)["Message-ID"] for row in rows}
    for pk, message_id in expected.items():
        assert sent[message_id] >= 1, f"notification {pk} was never sent"
        if pk in marked_sent:
            assert sent[message_id] == 1 == before[message_id], f"{pk} marked sent, sent again"
        elif pk not in in_flight:
            assert sent[message_id] == 1, f"{pk} sent more than once"
    assert sum(sent.values()) <= len(rows) + len(in_flight)
