"""Two sweeps at once on PostgreSQL: each threshold is recorded and notified exactly once."""

from datetime import timedelta

import pytest
from django.db import connection

from breaches import services
from breaches.models import BreachClockEvent
from notifications.models import Notification
from tests.concurrency import run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_two_sweeps_at_once_record_each_threshold_once(security_officer):
    breaches = [
        services.breach_create(actor=security_officer, title=f"Breach {n}") for n in range(5)
    ]
    now = breaches[0].aware_at + timedelta(hours=49)

    results = run_at_once(
        lambda: services.breach_clock_sweep(now=now, batch_size=2),
        lambda: services.breach_clock_sweep(now=now, batch_size=2),
    )

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 5  # type: ignore[arg-type]
    assert BreachClockEvent.objects.count() == 5
    assert set(BreachClockEvent.objects.values_list("threshold_hours", flat=True)) == {48}
    assert Notification.objects.filter(kind="breach_clock_warning").count() == 5
    # And again: nothing new.
    assert services.breach_clock_sweep(now=now) == 0
