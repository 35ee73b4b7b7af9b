"""The SLA sweep rings the bell too (issue 21 item 5): the same recipients as its emails, each
per their choice for that channel, in the same statements (test_sweep_effects pins them)."""

import pytest

from accounts.models import Role
from notifications.models import (
    InAppNotification,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from sla.sweep import sla_events_apply
from tests.factories import UserFactory
from tests.sla.test_sweep_effects import _events_due, leads  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def _recipients(model, kind):
    return set(model.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_the_sweep_rings_every_recipient_per_channel(clock, make_ticket, agent_l1, manager, leads):  # noqa: F811
    mail_muted = UserFactory(username="mail_muted", role=Role.MANAGER)
    bell_muted = UserFactory(username="bell_muted", role=Role.MANAGER)
    raised = NotificationKind.RAISED_TO_MANAGER
    NotificationPreference.objects.create(user=mail_muted, muted_kinds=[raised])
    NotificationPreference.objects.create(user=bell_muted, muted_in_app_kinds=[raised])
    _events_due(3, make_ticket)

    assert sla_events_apply() == 6

    bell, email = _recipients(InAppNotification, raised), _recipients(Notification, raised)
    assert "mail_muted" in bell and "mail_muted" not in email
    assert "bell_muted" in email and "bell_muted" not in bell
    assert bell - {"mail_muted"} == email - {"bell_muted"}
    breaches = InAppNotification.objects.filter(kind=NotificationKind.SLA_BREACH)
    assert set(breaches.values_list("recipient", flat=True)) == {agent_l1.pk}
    assert breaches.count() == Notification.objects.filter(kind="sla_breach").count() > 0
