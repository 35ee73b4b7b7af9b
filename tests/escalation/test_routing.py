"""Routing applied: at creation and whenever kind, category or priority changes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from escalation.models import OnCallShift, RoutingRule, SupportGroup, Tier
from notifications.models import Notification, NotificationKind
from tests.factories import AgentFactory, CategoryFactory
from tickets import services
from tickets.models import EventKind, Level, Priority, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def oncall_l3(agent_l3):
    now = timezone.now()
    OnCallShift.objects.create(
        agent=agent_l3,
        tier=Tier.L3,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=7),
    )
    return agent_l3


def _triage_as_p1(ticket, agent, category):
    return services.ticket_triage(
        ticket=ticket,
        actor=agent,
        kind="incident",
        category=category,
        impact=Level.HIGH,
        urgency=Level.HIGH,
    )


def _pages():
    return Notification.objects.filter(kind=NotificationKind.ONCALL_PAGE)


def test_new_tickets_go_to_the_l1_queue(make_ticket):
    ticket = make_ticket(Status.NEW)

    assert (ticket.tier, ticket.support_group_id) == (Tier.L1, None)
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED]


def test_p1_goes_straight_to_l3_and_pages_the_oncall_agent_exactly_once(
    make_ticket, agent_l1, category, oncall_l3
):
    off_duty = AgentFactory(username="off_duty_l3", tier=Tier.L3)
    OnCallShift.objects.create(
        agent=off_duty,
        tier=Tier.L3,
        starts_at=timezone.now() + timedelta(hours=8),
        ends_at=timezone.now() + timedelta(hours=16),
    )
    ticket = make_ticket(Status.NEW)

    ticket = _triage_as_p1(ticket, agent_l1, category)

    assert (ticket.priority, ticket.tier, ticket.status) == (
        Priority.P1,
        Tier.L3,
        Status.PRIORITIZED,
    )
    assert list(_pages().values_list("recipient__username", flat=True)) == ["agent_l3"]
    routed = ticket.events.get(kind=EventKind.CHANGE, changes__has_key="tier")
    assert routed.changes["tier"] == [Tier.L1, Tier.L3]
    assert routed.actor is None and routed.reason_is_internal

    # Routing runs again on every reclassification: the page is not repeated.
    services.ticket_update(ticket=ticket, actor=oncall_l3, category=CategoryFactory(), reason="r")
    services.ticket_update(ticket=ticket, actor=oncall_l3, urgency=Level.HIGH, reason="still P1")
    assert _pages().count() == 1


def test_l3_agents_take_a_routed_p1_but_l1_cannot(make_ticket, agent_l1, agent_l3, category, api):
    ticket = _triage_as_p1(make_ticket(Status.NEW), agent_l1, category)

    assert api(agent_l1).post(f"/api/tickets/{ticket.pk}/take/").status_code == 403
    assert api(agent_l3).post(f"/api/tickets/{ticket.pk}/take/").status_code == 200


def test_nobody_on_call_pages_the_l3_leads(make_ticket, agent_l1, agent_l3, category):
    group = SupportGroup.objects.get(tier=Tier.L3)
    group.lead = agent_l3
    group.save()

    _triage_as_p1(make_ticket(Status.NEW), agent_l1, category)

    assert list(_pages().values_list("recipient__username", flat=True)) == ["agent_l3"]


def test_a_category_rule_routes_to_its_group_at_creation(requester, agent_l2):
    network = CategoryFactory(name="Network")
    vpn = CategoryFactory(name="VPN", parent=network)
    group = SupportGroup.objects.create(name="Networking", tier=Tier.L2)
    RoutingRule.objects.create(
        name="Network → L2", category=network, target_tier=Tier.L2, target_group=group
    )

    ticket = services.ticket_create(requester=requester, title="t", description="d", category=vpn)

    assert (ticket.tier, ticket.support_group_id) == (Tier.L2, group.pk)
    event = ticket.events.get(kind=EventKind.CHANGE)
    assert "Network → L2" in event.reason


def test_categorising_reroutes_an_untaken_ticket_but_not_a_taken_one(make_ticket, agent_l1):
    network = CategoryFactory(name="Network")
    RoutingRule.objects.create(name="Network", category=network, target_tier=Tier.L2)
    ticket = make_ticket(Status.LOGGED)

    ticket = services.ticket_categorize(ticket=ticket, actor=agent_l1, category=network)
    assert ticket.tier == Tier.L2

    taken = make_ticket(Status.IN_DIAGNOSIS)
    services.ticket_update(ticket=taken, actor=agent_l1, category=network)
    taken.refresh_from_db()
    assert taken.tier == Tier.L1  # once taken, only escalation moves it


def test_a_priority_correction_moves_an_untaken_ticket_back(make_ticket, agent_l1, category):
    ticket = _triage_as_p1(make_ticket(Status.NEW), agent_l1, category)
    l3_agent = AgentFactory(username="l3b", tier=Tier.L3)

    ticket = services.ticket_update(
        ticket=ticket, actor=l3_agent, impact=Level.MEDIUM, reason="Only one team affected"
    )

    assert (ticket.priority, ticket.tier) == (Priority.P2, Tier.L1)
