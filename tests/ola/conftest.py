from datetime import timedelta

import pytest

from escalation.models import SupportGroup, Tier
from ola.models import OlaClock, OlaTarget
from tests.factories import AgentFactory
from tickets.models_choices import Priority

ALL_PRIORITIES = [p.value for p in Priority]


@pytest.fixture
def ola_targets(db):
    """The issue's example for every priority: L1 takes within 15 min and hands on within
    30 min; L2 takes within 1 h and hands on within 4 h; L3 hands on within 8 h (no take)."""
    rows = []
    for priority in ALL_PRIORITIES:
        rows += [
            OlaTarget(
                tier=Tier.L1,
                priority=priority,
                take_within=timedelta(minutes=15),
                handoff_within=timedelta(minutes=30),
            ),
            OlaTarget(
                tier=Tier.L2,
                priority=priority,
                take_within=timedelta(hours=1),
                handoff_within=timedelta(hours=4),
            ),
            OlaTarget(tier=Tier.L3, priority=priority, handoff_within=timedelta(hours=8)),
        ]
    return OlaTarget.objects.bulk_create(rows)


@pytest.fixture
def leads(agent_l1, agent_l2):
    """A lead for L1 and one for L2."""
    lead_l1 = AgentFactory(username="lead_l1", tier=Tier.L1)
    lead_l2 = AgentFactory(username="lead_l2", tier=Tier.L2)
    SupportGroup.objects.filter(tier=Tier.L1).update(lead=lead_l1)
    SupportGroup.objects.filter(tier=Tier.L2).update(lead=lead_l2)
    return lead_l1, lead_l2


def ola_of(ticket) -> dict[tuple[int, str, int], OlaClock]:
    return {(c.tier, c.metric, c.cycle): c for c in OlaClock.objects.filter(ticket=ticket)}


@pytest.fixture
def clock():
    """Frozen time, moved explicitly: `clock.to(at(9, 30))`."""
    import time_machine

    from tests.sla.conftest import at

    with time_machine.travel(at(9), tick=False) as traveller:

        class Clock:
            def to(self, moment) -> None:
                traveller.move_to(moment)

        yield Clock()
