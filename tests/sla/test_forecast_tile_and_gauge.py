"""The breach forecast's other two faces: the SLA dashboard's tile and the Prometheus gauge
helpdesk_sla_breach_forecast{window=…}; both agree with the page."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from sla.models import ClockState
from tests.ops.test_metrics import scrape
from tests.sla.test_forecast import NOW, add_clock, ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def clocks():
    for hours in (0.5, 3, 7, 20, 30):
        add_clock(ticket(), due_in=timedelta(hours=hours))
    add_clock(ticket(), due_in=timedelta(hours=1), state=ClockState.PAUSED)
    add_clock(ticket(), due_in=-timedelta(hours=1))


def test_the_dashboard_tile_shows_the_next_four_hours_and_links_to_the_page(
    client, manager, clocks
):
    client.force_login(manager)
    body = client.get(reverse("reports:dashboard")).content.decode()
    assert 'data-figure="breach_forecast">2<' in body
    assert f'href="{reverse("sla:forecast")}?hours=4"' in body
    page = client.get(reverse("sla:forecast"), {"hours": 4})
    assert page.context["board"].total == 2


def test_the_gauge_has_one_series_per_window(settings, clocks):
    settings.HELPDESK_METRICS_TOKEN = "metrics-token-0123456789"
    settings.HELPDESK_METRICS_ALLOW = []
    samples = scrape()
    assert {
        dict(labels)["window"]: value
        for (name, labels), value in samples.items()
        if name == "helpdesk_sla_breach_forecast" and dict(labels)["source"] == "sla"
    } == {"1h": 1, "4h": 2, "8h": 3, "24h": 4}
