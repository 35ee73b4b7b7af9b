"""The effects of a batch of SLA events, set-based: the same rows as one event at a time, a
constant number of statements and one hand-off to the worker per batch."""

from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from chat.selectors import chat_routes
from escalation.models import SupportGroup, Tier
from helpdesk.config_cache import config_cache_reset
from notifications.models import Notification, NotificationKind, NotificationPreference
from sla.models import SlaEvent, SlaEventKind
from sla.sweep import sla_event_effects, sla_events_apply, sla_events_effects, sla_record_due
from tests.factories import AgentFactory, UserFactory
from tests.sla.conftest import at
from tickets import services
from tickets.models import EventKind, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads(agent_l1, agent_l2):
    """A lead for L1 and one for L2; an inactive lead of a second L1 group."""
    lead_l1 = AgentFactory(username="lead_l1", tier=Tier.L1)
    lead_l2 = AgentFactory(username="lead_l2", tier=Tier.L2)
    SupportGroup.objects.filter(tier=Tier.L1).update(lead=lead_l1)
    SupportGroup.objects.filter(tier=Tier.L2).update(lead=lead_l2)
    gone = AgentFactory(username="gone_lead", tier=Tier.L1, is_active=False)
    SupportGroup.objects.create(name="Night shift", tier=Tier.L1, lead=gone)
    return lead_l1, lead_l2


def _snapshot(first_event_id: int, first_notification_id: int):
    """What the effects wrote, comparable across runs (the escalation event's id, part of its
    notification's dedupe key, is replaced by what the event is)."""
    events = list(
        TicketEvent.objects.filter(pk__gt=first_event_id)
        .order_by("id")
        .values_list(
            "ticket_id",
            "actor_id",
            "kind",
            "transition",
            "from_status",
            "to_status",
            "changes",
            "reason",
            "reason_is_internal",
        )
    )
    described = {
        f"event:{pk}": f"event:{ticket_id}:{transition}"
        for pk, ticket_id, transition in TicketEvent.objects.filter(
            pk__gt=first_event_id
        ).values_list("pk", "ticket_id", "transition")
    }
    notifications = []
    for kind, key, recipient, ticket, context, status in Notification.objects.filter(
        pk__gt=first_notification_id
    ).values_list("kind", "dedupe_key", "recipient__username", "ticket_id", "context", "status"):
        cause = key.split(":", 1)[1].rsplit(":", 1)[0]  # kind:cause:recipient
        notifications.append(
            (kind, described.get(cause, cause), recipient, ticket, sorted(context.items()), status)
        )
    tickets = list(
        Ticket.objects.order_by("pk").values_list(
            "pk",
            "status",
            "tier",
            "assignee_id",
            "support_group_id",
            "escalation_count",
            "last_escalated_at",
        )
    )
    return events, sorted(notifications), tickets


def test_a_batch_writes_the_same_rows_as_the_services_one_event_at_a_time(
    clock, make_ticket, requester, agent_l1, manager, leads
):
    muted = UserFactory(username="muted_manager", role=Role.MANAGER)
    NotificationPreference.objects.create(
        user=muted, muted_kinds=[NotificationKind.RAISED_TO_MANAGER]
    )
    UserFactory(username="retired_manager", role=Role.MANAGER, is_active=False)
    # day 0, 09:00: P3 tickets, first response due 11:00, resolution due tomorrow 09:00
    in_diagnosis = make_ticket(Status.IN_DIAGNOSIS)  # L1, assigned: L1 → L2
    escalated = make_ticket(Status.ESCALATED)  # waiting in L2's queue: L2 → L3, no email
    at_l3 = make_ticket(Status.IN_DIAGNOSIS)
    Ticket.objects.filter(pk=at_l3.pk).update(tier=Tier.L3)
    on_hold = make_ticket(Status.ON_HOLD)  # paused before its due: no breach yet
    resolved_late = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(9, 30, days=1))  # tomorrow: resolution overdue, nobody swept
    services.ticket_resolve(ticket=resolved_late, actor=agent_l1, summary="Done", code="fixed")
    clock.to(at(9, 40, days=1))
    services.ticket_reopen(ticket=resolved_late, actor=requester, reason="Still broken")
    clock.to(at(10, days=1))
    make_ticket(Status.IN_DIAGNOSIS)  # warned: first response due 12:00
    answered = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(11, 40, days=1))  # 83 % of both first responses
    sla_record_due()
    services.comment_create(ticket=answered, actor=agent_l1, body="On it")  # stopped since
    events = list(SlaEvent.objects.order_by("id"))
    assert len(events) == 11
    first_event_id = TicketEvent.objects.order_by("-id").values_list("id", flat=True)[0]
    first_notification_id = Notification.objects.order_by("-id").values_list("id", flat=True)[0]

    with transaction.atomic():
        sla_events_effects(events=events)
        batch = _snapshot(first_event_id, first_notification_id)
        transaction.set_rollback(True)
    with transaction.atomic():
        for event in events:
            sla_event_effects(event=event)
        one_by_one = _snapshot(first_event_id, first_notification_id)
        transaction.set_rollback(True)

    assert batch == one_by_one
    events_written, notifications, tickets = batch
    assert len(events_written) == 11 + 9 + 2  # timeline, 9 breaches raised, 2 escalations
    tier_of = {pk: (status, tier) for pk, status, tier, *_rest in tickets}
    assert tier_of[in_diagnosis.pk] == (Status.ESCALATED, Tier.L2)
    assert tier_of[escalated.pk] == (Status.ESCALATED, Tier.L3)
    assert tier_of[at_l3.pk] == (Status.IN_DIAGNOSIS, Tier.L3)
    assert tier_of[on_hold.pk] == (Status.ON_HOLD, Tier.L1)
    assert tier_of[resolved_late.pk] == (Status.IN_DIAGNOSIS, Tier.L1)  # a stopped cycle
    kinds = [(kind, recipient) for kind, _cause, recipient, *_rest in notifications]
    assert kinds.count((NotificationKind.STATUS_CHANGED, "requester")) == 1  # L1 → L2 only
    assert (NotificationKind.RAISED_TO_MANAGER, "lead_l2") in kinds  # the escalated one at L2
    assert (NotificationKind.SLA_WARNING, "lead_l1") in kinds  # `warned`, not `answered`
    assert kinds.count((NotificationKind.SLA_WARNING, "agent_l1")) == 1
    # The tier reached hears of an escalation on a breach, as of a manual one (it heard nothing).
    assert (NotificationKind.ESCALATED_TO_TIER, "agent_l2") in kinds
    assert (NotificationKind.ESCALATED_TO_TIER, "lead_l2") in kinds
    assert {recipient for _kind, recipient in kinds} == {
        "requester",
        "agent_l1",
        "agent_l2",
        "lead_l1",
        "lead_l2",
        "manager",
    }


def _events_due(count: int, make_ticket) -> None:
    """`count` tickets whose first response and resolution are both breached, recorded."""
    SlaEvent.objects.all().delete()
    Ticket.objects.all().delete()
    for _ in range(count):
        make_ticket(Status.IN_DIAGNOSIS)
    assert sla_record_due(now=at(9, days=30)) == (2 * count, 2 * count)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite splits bulk inserts by its variable limit"
)
def test_one_batch_of_effects_costs_the_same_statements_whatever_its_size(
    clock, make_ticket, manager, leads
):
    def statements(count: int) -> int:
        _events_due(count, make_ticket)
        # As in production between configuration changes: which chat channels listen is kept
        # per process (helpdesk.config_cache); the fixtures' saves count as committed.
        config_cache_reset()
        chat_routes()
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert sla_events_apply() == 2 * count
        assert TicketEvent.objects.filter(transition="escalate_for_breach").count() == count
        return len(ctx.captured_queries)

    # 1 savepoint (the test's transaction), 2 claim the events (FOR UPDATE SKIP LOCKED),
    # 3 savepoint for the batch; 4 lock the tickets with their requester and assignee; 5 the
    # events' clocks and policies; 6 the groups' leads; 7 the managers; 8 insert the timeline,
    # raises and escalation events; 9 escalate (one UPDATE); 10 the agents of the tiers reached;
    # 11 the recipients' muted kinds; 12 insert the outbox rows, returning their ids; 13 release;
    # 14 mark the events applied; 15 release; then 16–18 the next claim, finding nothing, in its
    # savepoint.
    assert statements(10) == statements(100) == 18


def test_one_batch_hands_its_notifications_to_the_worker_in_one_publish(
    clock, make_ticket, manager, leads, django_capture_on_commit_callbacks
):
    _events_due(5, make_ticket)
    with (
        mock.patch("notifications.tasks.deliver_notifications.delay") as batch,
        mock.patch("notifications.tasks.deliver_notification.delay") as single,
        django_capture_on_commit_callbacks(execute=True),
    ):
        sla_events_apply()
    assert single.call_count == 0
    assert batch.call_count == 1
    (ids,) = batch.call_args.args
    assert sorted(ids) == sorted(
        Notification.objects.filter(
            kind__in=[
                NotificationKind.RAISED_TO_MANAGER,
                NotificationKind.SLA_BREACH,
                NotificationKind.STATUS_CHANGED,
                NotificationKind.ESCALATED_TO_TIER,
            ]
        ).values_list("pk", flat=True)
    )
    # per ticket: 2 raises × (lead, manager), the requester's status email, 2 breaches (assignee),
    # the escalation to L2's two agents (agent_l2, its lead)
    assert len(ids) == 5 * (2 * 2 + 1 + 2 + 2)


def test_a_batch_with_the_broker_down_leaves_its_rows_to_the_outbox_flush(
    clock, make_ticket, manager, django_capture_on_commit_callbacks
):
    _events_due(2, make_ticket)
    with (
        mock.patch(
            "notifications.tasks.deliver_notifications.delay", side_effect=OSError("refused")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert sla_events_apply() == 4
    assert not SlaEvent.objects.filter(applied_at__isnull=True).exists()
    assert set(Notification.objects.values_list("status", flat=True)) == {"pending"}


def test_a_warning_and_a_breach_of_one_ticket_in_one_batch_apply_in_order(
    clock, make_ticket, manager, leads
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(10, 31))
    sla_record_due()  # first response: 75 %
    clock.to(at(9, 1, days=1))
    sla_record_due()  # first response and resolution breached
    assert sla_events_apply() == 3
    timeline = list(
        TicketEvent.objects.filter(ticket=ticket, pk__gt=0)
        .exclude(kind__in=[EventKind.CREATED])
        .order_by("id")
        .values_list("kind", "transition")
    )
    assert timeline[-6:] == [
        (EventKind.SLA, ""),  # the warning
        (EventKind.SLA, ""),  # the first-response breach
        (EventKind.RAISED, ""),
        (EventKind.SLA, ""),  # the resolution breach
        (EventKind.RAISED, ""),
        (EventKind.TRANSITION, "escalate_for_breach"),
    ]
    assert list(SlaEvent.objects.order_by("id").values_list("kind", flat=True)) == [
        SlaEventKind.WARNING75,
        SlaEventKind.BREACH,
        SlaEventKind.BREACH,
    ]
