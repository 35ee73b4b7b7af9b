"""A target created or changed starts the clocks of the tickets already in its tier (issue 22,
gap 1): from the moment it takes effect, set-based, once, paused on hold."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from escalation.models import Tier
from ola.models import OlaClock, OlaMetric, OlaTarget
from ola.services import ola_target_save
from sla.models import ClockState
from tests.sla.conftest import at
from tickets import services
from tickets.models import Status
from tickets.models_choices import Priority

from .conftest import ola_of

pytestmark = pytest.mark.django_db

URL = "/api/ola/targets/"
P3 = Priority.P3  # what make_ticket's triage gives (impact and urgency medium)


def _save(manager, **fields):
    values = {"tier": Tier.L1, "priority": P3, "take_within": None, "handoff_within": None}
    values.update(fields)
    return ola_target_save(actor=manager, **values)


def test_a_new_target_starts_clocks_on_the_tiers_open_tickets_from_now(clock, make_ticket, manager):
    waiting = make_ticket(Status.PRIORITIZED)  # L1 P3, nobody holds it
    held = make_ticket(Status.IN_DIAGNOSIS)  # taken by agent_l1
    assert not OlaClock.objects.exists()  # OLAs were off
    clock.to(at(11))

    _save(manager, take_within=timedelta(minutes=30), handoff_within=timedelta(hours=2))

    clocks = ola_of(waiting)
    assert set(clocks) == {(1, "take", 1), (1, "handoff", 1)}
    take = clocks[(1, "take", 1)]
    # started when the target took effect, not back-dated to the ticket's creation at 09:00
    assert take.started_at == at(11)
    assert take.due_at == at(11, 30) and take.next_alert_at == at(11, 30)
    assert take.at_risk_at == at(11, 22) + timedelta(seconds=30)
    assert take.state == ClockState.RUNNING and take.priority == P3
    # someone holds the other ticket: it owes no take, only the hand-off
    assert set(ola_of(held)) == {(1, "handoff", 1)}
    assert ola_of(held)[(1, "handoff", 1)].due_at == at(13)


def test_saving_twice_starts_nothing_more(clock, make_ticket, manager):
    make_ticket(Status.PRIORITIZED)
    target = _save(manager, handoff_within=timedelta(hours=2))
    assert OlaClock.objects.count() == 1
    clock.to(at(10))

    _save(manager, target=target, handoff_within=timedelta(hours=2))
    _save(manager, target=target, handoff_within=timedelta(hours=3))

    assert OlaClock.objects.count() == 1
    # a changed duration keeps the open clock's target until its next priority change
    assert OlaClock.objects.get().target == timedelta(hours=2)


def test_a_take_time_added_later_starts_only_the_take(clock, make_ticket, manager):
    ticket = make_ticket(Status.PRIORITIZED)
    target = _save(manager, handoff_within=timedelta(hours=2))
    clock.to(at(10))

    _save(manager, target=target, take_within=timedelta(hours=1), handoff_within=timedelta(hours=2))

    clocks = ola_of(ticket)
    assert set(clocks) == {(1, "take", 1), (1, "handoff", 1)}
    assert clocks[(1, "take", 1)].started_at == at(10)
    assert clocks[(1, "handoff", 1)].started_at == at(9)


def test_held_tickets_start_paused_and_resume_with_the_pause_counted(
    clock, make_ticket, manager, agent_l1
):
    ticket = make_ticket(Status.ON_HOLD)
    clock.to(at(10))

    _save(manager, handoff_within=timedelta(hours=2))

    handoff = ola_of(ticket)[(1, "handoff", 1)]
    assert handoff.state == ClockState.PAUSED and handoff.paused_since == at(10)
    assert handoff.next_alert_at is None  # a paused clock cannot breach
    clock.to(at(11))
    services.ticket_resume(ticket=ticket, actor=agent_l1)
    handoff.refresh_from_db()
    assert handoff.state == ClockState.RUNNING
    assert handoff.due_at == at(13)  # 10:00 + 2 h + the hour on hold


def test_only_open_tickets_of_that_tier_and_priority_and_no_second_clock_of_a_stay(
    clock, make_ticket, manager, ola_targets
):
    # These were created under the fixture's targets and have their clocks already.
    in_l1 = make_ticket(Status.PRIORITIZED)
    escalated = make_ticket(Status.ESCALATED)  # L2 now, clocks of its L2 stay
    resolved = make_ticket(Status.RESOLVED)
    before = {c.pk: (c.started_at, c.state) for c in OlaClock.objects.all()}
    OlaTarget.objects.filter(tier=Tier.L1, priority=P3).delete()
    clock.to(at(10))

    _save(manager, take_within=timedelta(minutes=5), handoff_within=timedelta(minutes=10))

    assert {c.pk: (c.started_at, c.state) for c in OlaClock.objects.all()} == before
    assert (1, "take", 2) not in ola_of(in_l1)
    assert ola_of(escalated).keys() == {
        (1, "take", 1),
        (1, "handoff", 1),
        (2, "take", 1),
        (2, "handoff", 1),
    }
    assert all(not c.is_open for c in ola_of(resolved).values())


def test_a_ticket_back_in_a_tier_without_clocks_gets_a_new_cycle(
    clock, make_ticket, manager, agent_l1, agent_l2
):
    for priority in (Priority.P4, P3):  # provisional P4 at creation, P3 once triaged
        OlaTarget.objects.create(tier=Tier.L1, priority=priority, handoff_within=timedelta(hours=1))
    OlaTarget.objects.create(tier=Tier.L2, priority=P3, handoff_within=timedelta(hours=4))
    ticket = make_ticket(Status.ESCALATED)  # L1 handoff #1 met at the escalation
    assert ola_of(ticket)[(1, "handoff", 1)].state == ClockState.MET
    services.ticket_take(ticket=ticket, actor=agent_l2)
    OlaTarget.objects.filter(tier=Tier.L1).delete()
    clock.to(at(10))
    services.ticket_deescalate(ticket=ticket, actor=agent_l2, reason="Back to the desk")
    assert ola_of(ticket)[(2, "handoff", 1)].state == ClockState.MET  # no L1 clock: no target
    clock.to(at(10, 30))

    _save(manager, handoff_within=timedelta(hours=1))

    assert ola_of(ticket)[(1, "handoff", 2)].started_at == at(10, 30)


def test_the_backfill_costs_the_same_statements_for_3_or_30_tickets(make_ticket, manager):
    def cost(n: int, priority: int) -> int:
        # Tickets created at the provisional P4 and triaged P3 (no target: no clocks), moved
        # to `priority` behind the services' back.
        for _ in range(n):
            ticket = make_ticket(Status.PRIORITIZED)
            type(ticket).objects.filter(pk=ticket.pk).update(priority=priority)
        with CaptureQueriesContext(connection) as queries:
            _save(
                manager,
                priority=priority,
                take_within=timedelta(minutes=30),
                handoff_within=timedelta(hours=2),
            )
        assert OlaClock.objects.filter(priority=priority).count() == 2 * n
        return len(queries)

    # savepoint, the clash check, the insert of the target, release; the tickets locked
    # (PostgreSQL), one INSERT … SELECT per metric
    expected = 7 if connection.vendor == "postgresql" else 6
    assert cost(3, Priority.P1) == cost(30, Priority.P2) == expected


# --- the API and the admin ---------------------------------------------------------------------


def test_the_api_create_and_patch_start_clocks(api, clock, make_ticket, manager):
    ticket = make_ticket(Status.PRIORITIZED)
    client = api(manager)

    created = client.post(
        URL, {"tier": 1, "priority": 3, "handoff_within": "01:00:00"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert set(ola_of(ticket)) == {(1, "handoff", 1)}

    changed = client.patch(f"{URL}{created.json()['id']}/", {"take_within": "00:10:00"})
    assert changed.status_code == 200, changed.content
    assert set(ola_of(ticket)) == {(1, "handoff", 1), (1, "take", 1)}


def test_a_refused_target_starts_nothing(api, make_ticket, agent_l1, manager):
    make_ticket(Status.PRIORITIZED)

    assert (
        api(agent_l1)
        .post(URL, {"tier": 1, "priority": 3, "take_within": "00:10:00"}, format="json")
        .status_code
        == 403
    )
    bad = api(manager).post(URL, {"tier": 1, "priority": 3, "take_within": "-00:10:00"})
    assert bad.status_code == 400 and "take_within" in bad.json()["errors"]
    assert not OlaClock.objects.exists()


def test_the_admin_starts_clocks_too(make_ticket, manager):
    ticket = make_ticket(Status.PRIORITIZED)
    manager.is_staff = manager.is_superuser = True
    manager.save()
    client = Client()
    client.force_login(manager)

    answer = client.post(
        "/admin/ola/olatarget/add/",
        {"tier": 1, "priority": 3, "take_within": "", "handoff_within": "01:00:00"},
    )

    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert set(ola_of(ticket)) == {(1, "handoff", 1)}
    assert ola_of(ticket)[(1, "handoff", 1)].metric == OlaMetric.HANDOFF


def test_the_admin_refuses_a_target_past_the_bound_with_a_form_error(make_ticket, manager):
    # It was a 500 (the service's refusal raised from save_model, or the due time past 9999).
    make_ticket(Status.PRIORITIZED)
    manager.is_staff = manager.is_superuser = True
    manager.save()
    client = Client()
    client.force_login(manager)

    answer = client.post(
        "/admin/ola/olatarget/add/",
        {"tier": 1, "priority": 3, "take_within": "", "handoff_within": "999999999 00:00:00"},
    )

    assert answer.status_code == 200
    assert "Targets can be at most 90 days." in answer.content.decode()
    assert not OlaTarget.objects.exists() and not OlaClock.objects.exists()


def test_the_admin_refuses_a_target_its_business_hours_never_reach(make_ticket, manager):
    from datetime import time

    from sla.models import Calendar, CalendarHours

    make_ticket(Status.PRIORITIZED)
    sparse = Calendar.objects.create(name="Mondays 9-10", time_zone="UTC")
    CalendarHours.objects.create(calendar=sparse, weekday=0, opens=time(9), closes=time(10))
    manager.is_staff = manager.is_superuser = True
    manager.save()
    client = Client()
    client.force_login(manager)

    answer = client.post(
        "/admin/ola/olatarget/add/",
        {
            "tier": 1,
            "priority": 3,
            "take_within": "",
            "handoff_within": "60 00:00:00",
            "calendar": sparse.pk,
        },
    )

    assert answer.status_code == 200
    assert "not reached within three years" in answer.content.decode()
    assert not OlaTarget.objects.exists()
