"""Which causes write chat rows, for which groups' channels, once each (the hooks)."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.models import ChatDelivery, ChatEvent, Platform
from chat.selectors import chat_routes
from escalation.models import Tier
from helpdesk.config_cache import config_cache_reset
from incidents import services as incident_services
from notifications.services import notifications_suppressed
from sla.models import SlaEvent, SlaEventKind
from sla.sweep import sla_event_effects, sla_events_apply, sla_events_effects, sla_record_due
from tests.sla.conftest import at
from tickets import services
from tickets.models import Level, Status, Ticket

pytestmark = pytest.mark.django_db


def _rows(**filters) -> list[tuple[str, str, str]]:
    return sorted(
        ChatDelivery.objects.filter(**filters).values_list("channel__name", "event", "event_key")
    )


def _triage_p1(ticket: Ticket, agent) -> Ticket:
    return services.ticket_triage(
        ticket=ticket,
        actor=agent,
        kind="incident",
        category=ticket.category or _any_category(),
        impact=Level.HIGH,
        urgency=Level.HIGH,
    )


def _any_category():
    from tickets.models import Category

    return Category.objects.first()


def test_a_p1_posts_once_to_the_channel_of_the_l3_group_it_is_routed_to(
    make_ticket, make_channel, agent_l1, category
):
    make_channel(Platform.SLACK, tier=Tier.L1, name="l1")
    make_channel(Platform.MATRIX, tier=Tier.L3, name="l3")
    ticket = make_ticket(Status.NEW)

    ticket = _triage_p1(ticket, agent_l1)

    assert ticket.priority == 1 and ticket.tier == Tier.L3
    assert _rows() == [("l3", ChatEvent.HIGH_PRIORITY, f"ticket:{ticket.pk}:priority:1")]


def test_a_p2_reclassification_posts_to_the_tickets_group_once_per_priority(
    make_ticket, make_channel, agent_l1
):
    make_channel(Platform.TEAMS, tier=Tier.L1, name="l1")
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3

    for impact in (Level.HIGH, Level.LOW, Level.HIGH):  # P2, P4, P2 again
        ticket = services.ticket_update(
            ticket=ticket, actor=agent_l1, impact=impact, urgency=Level.MEDIUM, reason="Scope"
        )

    assert _rows() == [("l1", ChatEvent.HIGH_PRIORITY, f"ticket:{ticket.pk}:priority:2")]


def test_an_escalation_posts_to_the_next_tiers_groups_with_the_reason(
    make_ticket, make_channel, agent_l1
):
    make_channel(Platform.SLACK, tier=Tier.L1, name="l1")
    make_channel(Platform.SLACK, tier=Tier.L2, name="l2")
    ticket = make_ticket(Status.ESCALATED)

    (row,) = ChatDelivery.objects.all()
    assert (row.channel.name, row.event, row.ticket_id) == ("l2", ChatEvent.ESCALATED, ticket.pk)
    assert row.context == {"tier": Tier.L2, "reason": "Needs a network engineer"}


def test_channels_not_subscribed_disabled_or_of_other_groups_get_nothing(
    make_ticket, make_channel, agent_l1
):
    make_channel(Platform.SLACK, tier=Tier.L2, name="sla only", events=[ChatEvent.SLA_BREACH])
    make_channel(Platform.SLACK, tier=Tier.L2, name="off", is_enabled=False)
    make_channel(Platform.SLACK, tier=Tier.L3, name="l3")

    make_ticket(Status.ESCALATED)

    assert ChatDelivery.objects.count() == 0


def test_history_written_while_suppressed_posts_nothing(make_ticket, make_channel):
    make_channel(Platform.SLACK, tier=Tier.L2)
    with notifications_suppressed():
        make_ticket(Status.ESCALATED)
    assert ChatDelivery.objects.count() == 0


def test_a_major_incident_posts_its_declaration_then_each_update(
    make_ticket, make_channel, agent_l1
):
    make_channel(Platform.SLACK, tier=Tier.L1, name="l1")
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    ticket = services.ticket_update(
        ticket=ticket, actor=agent_l1, impact=Level.HIGH, urgency=Level.HIGH, reason="Outage"
    )
    incident = incident_services.major_incident_declare(
        ticket=ticket,
        actor=agent_l1,
        public_title="Email is delayed",
        message="Investigating.",
        next_update_due_at=timezone.now() + timedelta(minutes=30),
    )
    update = incident_services.status_update_post(
        incident=incident,
        actor=agent_l1,
        status="identified",
        message="Found it.",
        next_update_due_at=timezone.now() + timedelta(minutes=30),
    )

    events = [event for _name, event, _key in _rows()]
    assert events.count(ChatEvent.MAJOR_INCIDENT_DECLARED) == 1
    assert events.count(ChatEvent.MAJOR_INCIDENT_UPDATED) == 1
    assert ("l1", ChatEvent.MAJOR_INCIDENT_UPDATED, f"status-update:{update.pk}") in _rows()


# --- the SLA sweep: both paths, once, a constant number of statements --------------------------


def _sla_rows(first_id: int) -> list[tuple[str, str, str, int]]:
    return sorted(
        ChatDelivery.objects.filter(pk__gt=first_id).values_list(
            "channel__name", "event", "event_key", "ticket_id"
        )
    )


def test_the_sweep_posts_warnings_breaches_and_escalations_the_same_both_ways(
    clock, make_ticket, make_channel, agent_l1
):
    make_channel(Platform.SLACK, tier=Tier.L1, name="l1")
    make_channel(Platform.MATRIX, tier=Tier.L2, name="l2")
    breached = make_ticket(Status.IN_DIAGNOSIS)  # P3 at L1: both clocks breached tomorrow
    clock.to(at(10, days=1))
    warned = make_ticket(Status.IN_DIAGNOSIS)  # first response due 12:00
    answered = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(11, 40, days=1))
    sla_record_due()
    services.comment_create(ticket=answered, actor=agent_l1, body="On it")  # stopped since
    events = list(SlaEvent.objects.order_by("id"))
    first = ChatDelivery.objects.order_by("-id").values_list("id", flat=True).first() or 0

    with transaction.atomic():
        sla_events_effects(events=events)
        batch = _sla_rows(first)
        transaction.set_rollback(True)
    with transaction.atomic():
        for event in events:
            sla_event_effects(event=event)
        one_by_one = _sla_rows(first)
        transaction.set_rollback(True)

    # The escalation's key names its TicketEvent, whose id differs between the two runs.
    def comparable(rows):
        return [(n, e, k if e != ChatEvent.ESCALATED else "event", t) for n, e, k, t in rows]

    assert comparable(batch) == comparable(one_by_one)
    expected = {
        (
            "l1",
            ChatEvent.SLA_BREACH if event.kind == SlaEventKind.BREACH else ChatEvent.SLA_WARNING,
            f"sla-event:{event.pk}",
            event.ticket_id,
        )
        for event in events
        if event.ticket_id == breached.pk
        or (event.ticket_id == warned.pk and event.kind != SlaEventKind.BREACH)
    }  # not `answered`'s warning: its clock stopped since
    escalations = [row for row in batch if row[1] == ChatEvent.ESCALATED]
    assert set(batch) == expected | set(escalations)
    assert [(name, ticket_id) for name, _e, _k, ticket_id in escalations] == [
        ("l2", breached.pk)  # L1 → L2: the L2 groups hear of it
    ]


def _events_due(count: int, make_ticket) -> None:
    SlaEvent.objects.all().delete()
    Ticket.objects.all().delete()
    for _ in range(count):
        make_ticket(Status.IN_DIAGNOSIS)
    assert sla_record_due(now=at(9, days=30)) == (2 * count, 2 * count)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="bulk inserts split on SQLite")
def test_the_set_based_sweep_keeps_a_constant_number_of_statements_with_channels(
    clock, make_ticket, make_channel, manager
):
    make_channel(Platform.SLACK, tier=Tier.L1, name="l1")
    make_channel(Platform.TEAMS, tier=Tier.L2, name="l2")

    def statements(count: int) -> int:
        _events_due(count, make_ticket)
        # As in production between configuration changes: the channels are kept per process
        # (helpdesk.config_cache); the fixtures' saves count as committed.
        config_cache_reset()
        chat_routes()
        with CaptureQueriesContext(connection) as ctx:
            assert sla_events_apply() == 2 * count
        assert ChatDelivery.objects.filter(event=ChatEvent.SLA_BREACH).count() == 2 * count
        assert ChatDelivery.objects.filter(event=ChatEvent.ESCALATED).count() == count
        return len(ctx.captured_queries)

    # tests/sla/test_sweep_effects.py's 18, plus one: the chat rows' INSERT … ON CONFLICT
    # (which channels listen is kept per process: no query).
    assert statements(10) == statements(100) == 19
