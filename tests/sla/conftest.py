from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from sla.models import SlaClock
from tests.faults.conftest import private_redis  # noqa: F401 (a fixture: test_integration's broker)

DAY = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday


def at(hours: int, minutes: int = 0, *, days: int = 0) -> datetime:
    """A moment on the test day (UTC)."""
    return DAY + timedelta(days=days, hours=hours, minutes=minutes)


def clocks_of(ticket) -> dict[tuple[str, int], SlaClock]:
    return {(c.metric, c.cycle): c for c in SlaClock.objects.filter(ticket=ticket)}


@pytest.fixture
def clock():
    """Frozen time, moved explicitly: `clock.to(at(9, 30))`."""
    with time_machine.travel(at(9), tick=False) as traveller:

        class Clock:
            def to(self, moment: datetime) -> None:
                traveller.move_to(moment)

        yield Clock()
