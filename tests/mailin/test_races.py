import threading

import pytest
from django.db import connection

from mailin.models import InboundMessage
from mailin.services import DUPLICATE, inbound_process
from tests.mailin.messages import build
from tickets.models import Ticket


@pytest.mark.django_db(transaction=True)
def test_two_pollers_processing_the_same_message_make_one_ticket():
    raw = build(message_id="<race@example.org>")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def poller() -> None:
        try:
            barrier.wait()
            outcomes.append(inbound_process(raw=raw).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=poller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == [DUPLICATE, "ticket_created"]
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 1
