import importlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from sla.models import SlaClock

DAY = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday


def at(hours: int, minutes: int = 0, *, days: int = 0) -> datetime:
    """A moment on the test day (UTC)."""
    return DAY + timedelta(days=days, hours=hours, minutes=minutes)


def clocks_of(ticket) -> dict[tuple[str, int], SlaClock]:
    return {(c.metric, c.cycle): c for c in SlaClock.objects.filter(ticket=ticket)}


@pytest.fixture(autouse=True)
def _default_policy(request):
    """The data migration's default policy: a transactional test before us may have flushed it."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")  # the database as the marker asks (transactional or not)
    from django.apps import apps

    importlib.import_module("sla.migrations.0002_default_policy").seed(apps, None)


@pytest.fixture
def clock():
    """Frozen time, moved explicitly: `clock.to(at(9, 30))`."""
    with time_machine.travel(at(9), tick=False) as traveller:

        class Clock:
            def to(self, moment: datetime) -> None:
                traveller.move_to(moment)

        yield Clock()
