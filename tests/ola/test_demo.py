"""The demo data shows one OLA set: the issue's example (issue 22)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from escalation.models import Tier
from notifications.models import Notification, NotificationKind
from ola.models import OlaClock, OlaTarget
from ola.sweep import ola_sweep

pytestmark = pytest.mark.django_db


def test_the_demo_has_the_issues_ola_and_its_clocks():
    call_command("seed_demo", tickets=12, stdout=StringIO())

    p1 = OlaTarget.objects.get(tier=Tier.L1, priority=1)
    assert (p1.take_within, p1.handoff_within) == (timedelta(minutes=15), timedelta(minutes=30))
    assert OlaTarget.objects.count() == 15
    assert OlaClock.objects.exists()
    # The demo's past is not news: its first OLA sweep emails nobody.
    ola_sweep()
    assert not Notification.objects.filter(kind=NotificationKind.OLA_BREACH).exists()
