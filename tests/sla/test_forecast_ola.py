"""The breach forecast counts the tiers' OLA clocks too (issue 22, gap 2): each row says which
kind of clock and metric, `?source=sla|ola` (default both), the same groupings, the dashboard
tile and the gauge agree with the page, a constant number of queries."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from escalation.models import Tier
from ola.models import OlaClock, OlaMetric
from sla.forecast import Cursor, ForecastScope, forecast, forecast_counts, forecast_counts_by_source
from sla.models import ClockState, Metric
from tests.factories import AgentFactory, SupportGroupFactory
from tests.ops.test_metrics import scrape
from tests.sla.test_forecast import NOW, add_clock, ticket

pytestmark = pytest.mark.django_db

PAGE, CSV, API = "sla:forecast", "sla:forecast_csv", "api-sla-forecast"
EVERYONE = ForecastScope()


def add_ola_clock(t, *, due_in, metric=OlaMetric.HANDOFF, state=ClockState.RUNNING, now=NOW):
    due_at = now + due_in
    stopped = state not in (ClockState.RUNNING, ClockState.PAUSED)
    return OlaClock.objects.create(
        ticket=t,
        tier=t.tier,
        metric=metric,
        cycle=1,
        priority=t.priority,
        started_at=due_at - timedelta(hours=2),
        target=timedelta(hours=2),
        at_risk_at=due_at - timedelta(minutes=30),
        warning_at=due_at - timedelta(minutes=12),
        due_at=due_at,
        state=state,
        paused_since=now - timedelta(minutes=5) if state == ClockState.PAUSED else None,
        stopped_at=now - timedelta(minutes=5) if stopped else None,
    )


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def mixed(agent_l1):
    """SLA: L1 resolution in 2 h, L2 first response in 3 h. OLA: L1 take in 30 min (assigned
    to agent_l1), L2 hand-off in 1 h; plus OLA clocks that are not forecast."""
    l1 = ticket(tier=Tier.L1, assignee=agent_l1, title="Printer on fire")
    l2 = ticket(tier=Tier.L2, title="Router down")
    clocks = {
        "sla_l1": add_clock(l1, due_in=timedelta(hours=2)),
        "sla_l2": add_clock(l2, due_in=timedelta(hours=3), metric=Metric.FIRST_RESPONSE),
        "ola_take": add_ola_clock(l1, due_in=timedelta(minutes=30), metric=OlaMetric.TAKE),
        "ola_l2": add_ola_clock(l2, due_in=timedelta(hours=1)),
    }
    other = ticket(tier=Tier.L1)
    add_ola_clock(other, due_in=timedelta(hours=1), state=ClockState.PAUSED)
    add_ola_clock(other, due_in=timedelta(hours=1), metric=OlaMetric.TAKE, state=ClockState.MET)
    add_ola_clock(ticket(tier=Tier.L1), due_in=timedelta(hours=6))  # beyond 4 h
    add_ola_clock(ticket(tier=Tier.L1), due_in=-timedelta(minutes=10))  # overdue
    return clocks


# --- the selector ------------------------------------------------------------------------------


def test_ola_clocks_are_forecast_beside_the_sla_ones_soonest_first(mixed, agent_l1):
    board = forecast(hours=4, scope=EVERYONE, now=NOW)

    assert (board.total, board.overdue) == (4, 1)
    assert board.by_source == {"sla": 2, "ola": 2}
    assert [(i.source, i.metric, i.label) for i in board.items] == [
        ("ola", "take", "L1 · Take"),
        ("ola", "handoff", "L2 · Hand-off"),
        ("sla", "resolution", "Resolution"),
        ("sla", "first_response", "First response"),
    ]
    assert [i.clock_id for i in board.items][:2] == [mixed["ola_take"].pk, mixed["ola_l2"].pk]
    # grouped the same way, the sources added up
    assert [(r.key, r.count) for r in board.by_tier] == [(Tier.L1, 2), (Tier.L2, 2)]
    assert [(r.key, r.count) for r in board.by_assignee] == [(agent_l1.pk, 2), (None, 2)]


def test_one_source_at_a_time_and_the_sla_figures_are_unchanged(mixed):
    sla = forecast(hours=4, scope=EVERYONE, now=NOW, sources=["sla"])
    ola = forecast(hours=4, scope=EVERYONE, now=NOW, sources=["ola"])

    assert (sla.total, sla.overdue, sla.sources) == (2, 0, ["sla"])
    assert {i.source for i in sla.items} == {"sla"}
    assert (ola.total, ola.overdue, ola.sources) == (2, 1, ["ola"])
    assert [i.metric for i in ola.items] == ["take", "handoff"]
    assert forecast_counts(now=NOW, sources=["sla"]) == {1: 0, 4: 2, 8: 2, 24: 2}
    assert forecast_counts(now=NOW, sources=["ola"]) == {1: 2, 4: 2, 8: 3, 24: 3}
    assert forecast_counts(now=NOW) == {1: 2, 4: 4, 8: 5, 24: 5}


def test_the_counts_of_both_sources_come_from_one_read(mixed, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = forecast_counts_by_source(now=NOW)
    assert counts == {"sla": {1: 0, 4: 2, 8: 2, 24: 2}, "ola": {1: 2, 4: 2, 8: 3, 24: 3}}


def test_paging_runs_across_both_sources_without_repeating_or_skipping(mixed):
    seen = []
    cursor = None
    for _ in range(5):
        board = forecast(hours=4, scope=EVERYONE, now=NOW, limit=1, cursor=cursor)
        seen += [(i.source, i.clock_id) for i in board.items]
        if board.next_cursor is None:
            break
        cursor = Cursor.decode(board.next_cursor)
    everything = forecast(hours=4, scope=EVERYONE, now=NOW)
    assert seen == [(i.source, i.clock_id) for i in everything.items]


def test_the_page_costs_the_same_queries_with_few_or_many_clocks(mixed, django_assert_num_queries):
    add_ola_clock(ticket(tier=Tier.L2, support_group=SupportGroupFactory()), due_in=timedelta(1))
    # counts (both sources), the page (SLA, OLA), what follows (both), the groupings (both),
    # group names, the agents' loads
    with django_assert_num_queries(7):
        forecast(hours=24, scope=EVERYONE, now=NOW, limit=2)
    for n in range(20):
        t = ticket(tier=Tier.L2, assignee=AgentFactory(), support_group=SupportGroupFactory())
        add_ola_clock(t, due_in=timedelta(minutes=n + 1))
        add_clock(t, due_in=timedelta(minutes=n + 1))
    with django_assert_num_queries(7):
        board = forecast(hours=24, scope=EVERYONE, now=NOW, limit=2)
    assert board.more == 46 - 2


# --- the page, the API, the CSV ------------------------------------------------------------------


def _get(client, user, name, data=None):
    client.force_login(user)
    return client.get(reverse(name), data or {})


def test_the_page_marks_each_clock_and_filters_by_source(client, manager, mixed):
    both = _get(client, manager, PAGE)
    body = both.content.decode()
    assert both.context["board"].total == 4
    assert f'data-clock="ola-{mixed["ola_take"].pk}"' in body
    assert '<td class="words" data-metric="take" data-label="Clock">L1 · Take</td>' in body
    assert '<span class="badge">OLA</span>' in body and '<span class="badge">SLA</span>' in body
    assert '<span data-source="sla">SLA 2</span>' in body
    assert '<span data-source="ola">OLA 2</span>' in body

    only_ola = _get(client, manager, PAGE, {"source": "ola"})
    assert only_ola.context["board"].total == 2
    ola_body = only_ola.content.decode()
    assert '<span class="badge">SLA</span>' not in ola_body
    # its links keep the filter
    assert "?hours=4&amp;source=ola" in ola_body
    assert _get(client, manager, PAGE, {"source": "sla"}).context["board"].total == 2


def test_the_page_in_spanish_names_the_ola_clocks(client, manager, mixed):
    manager.language = "es"
    manager.save(update_fields=["language"])
    body = _get(client, manager, PAGE).content.decode()
    assert "L1 · Toma" in body and "L2 · Derivación" in body
    assert "SLA y OLA" in body
    assert "Relojes en marcha que vencen antes del" in body


def test_the_api_says_the_kind_and_metric_of_each_clock(api, manager, mixed):
    data = api(manager).get(reverse(API)).json()
    assert (data["total"], data["by_source"], data["sources"]) == (
        4,
        {"sla": 2, "ola": 2},
        ["sla", "ola"],
    )
    assert [(i["kind"], i["metric"]) for i in data["items"]] == [
        ("ola", "take"),
        ("ola", "handoff"),
        ("sla", "resolution"),
        ("sla", "first_response"),
    ]
    only = api(manager).get(reverse(API), {"source": "sla"}).json()
    assert (only["total"], only["sources"]) == (2, ["sla"])


@pytest.mark.parametrize("value", ["both", "SLA", "olas"])
def test_an_unknown_source_is_a_400_with_a_message(client, api, manager, value):
    answer = api(manager).get(reverse(API), {"source": value})
    assert answer.status_code == 400
    assert "source" in answer.json()["errors"]
    page = _get(client, manager, PAGE, {"source": value})
    assert page.status_code == 400 and 'role="alert"' in page.content.decode()
    assert _get(client, manager, CSV, {"source": value}).status_code == 400


def test_the_csv_has_the_kind_of_each_clock(client, manager, mixed):
    response = _get(client, manager, CSV, {"hours": 4})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    kind = rows[0].index("kind")
    assert [(row[1], row[kind]) for row in rows[1:]] == [
        ("Printer on fire", "OLA"),
        ("Router down", "OLA"),
        ("Printer on fire", "SLA"),
        ("Router down", "SLA"),
    ]
    ola = _get(client, manager, CSV, {"hours": 4, "source": "ola"})
    assert len(list(csv.reader(io.StringIO(b"".join(ola.streaming_content).decode())))) == 3


@pytest.mark.parametrize("persona", ["requester", "agent_l1", "security_officer"])
def test_the_ola_forecast_keeps_the_forecasts_readers(client, api, request, persona, mixed):
    user = request.getfixturevalue(persona)
    assert api(user).get(reverse(API), {"source": "ola"}).status_code == 403
    assert _get(client, user, PAGE, {"source": "ola"}).status_code == 403


def test_a_tier_lead_sees_the_ola_clocks_of_their_tiers_only(api, mixed):
    lead = AgentFactory(username="lead_l2", tier=Tier.L2)
    SupportGroupFactory(name="Network", tier=Tier.L2, lead=lead)
    data = api(lead).get(reverse(API), {"source": "ola"}).json()
    assert [i["clock_id"] for i in data["items"]] == [mixed["ola_l2"].pk]


# --- the tile and the gauge --------------------------------------------------------------------


def test_the_tile_and_the_gauge_agree_with_the_page(client, manager, settings, mixed):
    client.force_login(manager)
    body = client.get(reverse("reports:dashboard")).content.decode()
    assert 'data-figure="breach_forecast">4<' in body
    assert "Running SLA and OLA clocks" in body
    assert client.get(reverse(PAGE)).context["board"].total == 4

    settings.HELPDESK_METRICS_TOKEN = "metrics-token-0123456789"
    settings.HELPDESK_METRICS_ALLOW = []
    samples = scrape()
    gauge = {
        (dict(labels)["source"], dict(labels)["window"]): value
        for (name, labels), value in samples.items()
        if name == "helpdesk_sla_breach_forecast"
    }
    assert gauge[("sla", "4h")] + gauge[("ola", "4h")] == 4
    assert (gauge[("sla", "4h")], gauge[("ola", "4h")], gauge[("ola", "1h")]) == (2, 2, 2)
