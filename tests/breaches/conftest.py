from datetime import UTC, datetime

import pytest
import time_machine

from breaches import services
from breaches.models import Breach
from tickets.models import Status

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def at_t0():
    """The clock is frozen at T0 (a Monday 09:00 UTC) unless a test travels on."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def flagged_ticket(make_ticket):
    return make_ticket(Status.IN_DIAGNOSIS)


@pytest.fixture
def breach(flagged_ticket, agent_l1, security_officer) -> Breach:
    """Agent L1 flags the ticket as a suspected data breach (the officer exists to be told)."""
    return services.breach_flag_ticket(
        ticket=flagged_ticket,
        actor=agent_l1,
        description="Customer list emailed to the wrong client.",
    )
