"""insert_rows writes a new row as save() would, without compiling the statement each time."""

from datetime import timedelta

import pytest
import time_machine
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy

from helpdesk.inserts import insert_rows
from sla.models import SlaClock
from tickets.models import EventKind, Level, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def _new_ticket(requester, category, **extra) -> Ticket:
    return Ticket(
        title="Printer on fire",
        description="Smoke from tray 2.",
        requester=requester,
        organisation_id=requester.organisation_id,
        category=category,
        urgency=Level.HIGH,
        contact_email=requester.email,
        **{"created_at": timezone.now(), **extra},
    )


def _columns(ticket_id: int) -> dict:
    row = Ticket.objects.filter(pk=ticket_id).values().get()
    row.pop("id")
    assert len(row.pop("tracking_token")) > 20  # a new random one per ticket
    return row


@time_machine.travel("2026-12-04 09:30:00+00:00", tick=False)
def test_a_ticket_row_is_the_one_save_writes(requester, category):
    saved = _new_ticket(requester, category)
    saved.save()
    inserted = _new_ticket(requester, category, created_at=saved.created_at)

    (same,) = insert_rows([inserted])

    assert same is inserted
    assert inserted.pk is not None and inserted.pk != saved.pk
    assert inserted._state.adding is False and inserted._state.db == "default"
    assert _columns(inserted.pk) == _columns(saved.pk)
    assert inserted.status == Status.NEW


def test_a_database_default_is_read_back_onto_the_row(requester, category):
    (ticket,) = insert_rows([_new_ticket(requester, category)])
    first, second = insert_rows(
        [
            TicketEvent(ticket=ticket, actor=requester, kind=EventKind.CREATED, to_status="new"),
            TicketEvent(ticket=ticket, actor=requester, kind=EventKind.CHANGE),
        ]
    )
    stored = dict(TicketEvent.objects.filter(ticket=ticket).values_list("id", "seq"))
    # The write order comes from a sequence on PostgreSQL: set, in the order written.
    assert stored == {first.pk: first.seq, second.pk: second.seq}
    assert first.seq is not None and first.seq < second.seq


def test_many_rows_in_one_statement_each_get_its_own_key(
    requester, category, django_assert_num_queries
):
    (ticket,) = insert_rows([_new_ticket(requester, category)])
    now = timezone.now()
    clocks = [
        SlaClock(
            ticket=ticket,
            metric=metric,
            priority=2,
            started_at=now,
            target=target,
            at_risk_at=now + target * 0.75,
            warning_at=now + target * 0.9,
            due_at=now + target,
        )
        for metric, target in (("response", timedelta(hours=1)), ("resolution", timedelta(days=1)))
    ]
    with django_assert_num_queries(1):
        insert_rows(clocks)
    assert {c.pk: (c.metric, c.target) for c in clocks} == {
        pk: (metric, target)
        for pk, metric, target in SlaClock.objects.filter(ticket=ticket).values_list(
            "pk", "metric", "target"
        )
    }
    assert [c.pauses for c in clocks] == [[], []]


def test_the_save_signals_are_sent(requester, category):
    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((sender, instance.pk, created))

    post_save.connect(receiver, sender=Ticket, weak=False)
    try:
        (ticket,) = insert_rows([_new_ticket(requester, category)])
    finally:
        post_save.disconnect(receiver, sender=Ticket)
    assert seen == [(Ticket, ticket.pk, True)]


def test_an_unsaved_related_row_is_refused_as_save_refuses_it(requester, category):
    ticket = _new_ticket(requester, category)
    with pytest.raises(ValueError, match="unsaved related object"):
        insert_rows([TicketEvent(ticket=ticket, actor=requester, kind=EventKind.CREATED)])
    assert not TicketEvent.objects.exists()


def test_nothing_to_insert_runs_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert insert_rows([]) == []


def test_a_value_not_of_the_columns_plain_type_goes_through_its_fields_preparation(
    requester, category
):
    # str, int and bool values are written as they are; anything else as save() prepares it.
    ticket = _new_ticket(requester, category, tier="2", affected=7, priority_is_provisional=0)
    ticket.title = gettext_lazy("Printer")

    insert_rows([ticket])

    row = Ticket.objects.filter(pk=ticket.pk).values(
        "title", "tier", "affected", "priority_is_provisional", "urgency"
    )
    assert row.get() == {
        "title": "Printer",
        "tier": 2,
        "affected": "7",
        "priority_is_provisional": False,
        "urgency": "high",  # Level.HIGH, a str enum
    }
