"""The demo data leaves the breach forecast something to show (issue 22 item 3)."""

from io import StringIO

import pytest
from django.core.management import call_command

from sla.forecast import DEFAULT_WINDOW_HOURS, ForecastScope, forecast

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_clock_due_in_the_next_hours():
    call_command("seed_demo", tickets=9, stdout=StringIO())
    board = forecast(hours=DEFAULT_WINDOW_HOURS, scope=ForecastScope())
    assert board.total >= 1
    assert "VPN disconnects every few minutes" in [item.title for item in board.items]


def test_the_demo_has_an_ola_clock_due_in_the_next_hours():
    call_command("seed_demo", tickets=9, stdout=StringIO())
    board = forecast(hours=DEFAULT_WINDOW_HOURS, scope=ForecastScope(), sources=["ola"])
    assert board.total >= 1
    [item] = [i for i in board.items if i.title == "Password reset link expired"]
    assert (item.source, item.metric, item.tier) == ("ola", "handoff", 1)
    both = forecast(hours=DEFAULT_WINDOW_HOURS, scope=ForecastScope())
    assert {i.source for i in both.items} == {"sla", "ola"}
