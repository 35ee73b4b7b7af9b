"""The sweep's emails (a warning, a breach, the raise to management, an OLA breach) speak their
recipient's language and time zone: the sweep stores its words in English with UTC times."""

from datetime import timedelta

import pytest

from escalation.models import SupportGroup, Tier
from notifications.models import Notification, NotificationKind
from notifications.services import render_notification
from ola.models import OlaTarget
from ola.sweep import ola_sweep
from sla.sweep import sla_sweep
from tests.sla.conftest import at
from tickets.models import Priority

pytestmark = pytest.mark.django_db


def _in_madrid_in_spanish(*people):
    for person in people:
        person.language, person.time_zone = "es", "Europe/Madrid"
        person.save(update_fields=["language", "time_zone"])


def _email(kind, recipient):
    notification = Notification.objects.get(kind=kind, recipient=recipient)
    return render_notification(notification=notification).body


def test_a_breach_email_names_the_metric_and_the_due_time_as_its_reader_reads_them(
    clock, make_ticket, agent_l1, manager
):
    _in_madrid_in_spanish(agent_l1, manager)
    ticket = make_ticket("in_diagnosis")  # P3 at 09:00 UTC, taken by agent_l1
    assert ticket.priority == Priority.P3
    clock.to(at(11, 1))  # first response (2 h) was due at 11:00 UTC, 12:00 in Madrid
    sla_sweep()

    breach = _email(NotificationKind.SLA_BREACH, agent_l1)
    assert "Primera respuesta vencía el 2025-03-03 12:00 CET." in breach
    assert "First response" not in breach and "UTC" not in breach
    raised = _email(NotificationKind.RAISED_TO_MANAGER, manager)
    assert (
        "Motivo: Primera respuesta: objetivo incumplido (ciclo 1); vencía el 2025-03-03 12:00 CET."
        in raised
    )


def test_a_warning_email_in_english_gives_the_due_time_in_the_readers_zone(
    clock, make_ticket, agent_l1
):
    agent_l1.time_zone = "America/New_York"
    agent_l1.save(update_fields=["time_zone"])
    make_ticket("in_diagnosis")
    clock.to(at(10, 31))  # 75 % of the first response's two hours
    sla_sweep()

    warning = _email(NotificationKind.SLA_WARNING, agent_l1)
    assert "First response: 75 % of the target used; due at 2025-03-03 06:00 EST." in warning


def test_an_ola_breach_email_speaks_the_leads_language(clock, make_ticket, agent_l1):
    lead = agent_l1
    _in_madrid_in_spanish(lead)
    SupportGroup.objects.filter(tier=Tier.L1).update(lead=lead)
    OlaTarget.objects.create(tier=Tier.L1, priority=Priority.P3, take_within=timedelta(minutes=30))
    ticket = make_ticket("prioritized")  # waiting in the L1 queue since 09:00
    assert ticket.tier == Tier.L1
    clock.to(at(9, 31))
    ola_sweep()

    body = _email(NotificationKind.OLA_BREACH, lead)
    assert "UTC" not in body and "CET" in body, body


def test_an_escalation_on_a_breach_tells_the_tier_it_reaches_in_its_language(
    clock, make_ticket, agent_l1, agent_l2
):
    # The tier an escalation on a breach reached was told nothing (a manual one tells it).
    _in_madrid_in_spanish(agent_l2)
    make_ticket("in_diagnosis")  # P3 at 09:00 UTC at L1: resolution due tomorrow 09:00 UTC
    clock.to(at(9, 1, days=1))
    sla_sweep()

    body = _email(NotificationKind.ESCALATED_TO_TIER, agent_l2)
    assert "Resolución: objetivo incumplido (ciclo 1); vencía el 2025-03-04 10:00 CET." in body
    assert not Notification.objects.filter(
        kind=NotificationKind.ESCALATED_TO_TIER, recipient=agent_l1
    ).exists()
