"""/metrics: who may scrape it, request series by URL pattern name, and the desk's gauges."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import redis
import time_machine
from django.db import OperationalError, connection
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from breaches.services import breach_create
from helpdesk.celery import app as celery_app
from ops import selectors
from ops.services import SLA_SWEEP, heartbeat_record
from sla.models import ClockState, SlaClock
from tickets.models import Status

TOKEN = "metrics-token-0123456789"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def scrape(client: Client | None = None, **headers: str) -> dict[tuple[str, tuple], float]:
    response = (client or Client()).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.fixture
def token(settings):
    settings.HELPDESK_METRICS_TOKEN = TOKEN
    settings.HELPDESK_METRICS_ALLOW = []


# --- access --------------------------------------------------------------------------------------


def test_metrics_are_404_until_a_token_or_an_allow_list_is_set(settings):
    settings.HELPDESK_METRICS_TOKEN = ""
    settings.HELPDESK_METRICS_ALLOW = []
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize(
    "authorization", ["", f"Token {TOKEN}", "Bearer wrong", f"Bearer {TOKEN}x", "Bearer"]
)
def test_a_missing_or_wrong_token_is_403(token, authorization):
    # No database mark: a refused scrape reads nothing.
    response = Client().get("/metrics", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 403


@pytest.mark.django_db
def test_an_address_on_the_allow_list_may_scrape_without_a_token(settings):
    settings.HELPDESK_METRICS_TOKEN = ""
    settings.HELPDESK_METRICS_ALLOW = ["10.0.0.0/8", "127.0.0.1"]
    assert Client(REMOTE_ADDR="10.2.3.4").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.1").get("/metrics").status_code == 403


def test_behind_a_proxy_the_allow_list_checks_the_address_the_proxy_vouches_for(settings):
    settings.HELPDESK_METRICS_TOKEN = ""
    settings.HELPDESK_METRICS_ALLOW = ["10.0.0.0/8"]
    settings.HELPDESK_TRUSTED_PROXIES = 1
    # The client wrote 10.9.9.9 itself; our proxy (10.0.0.1) appended the real address.
    forged = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 192.0.2.1")
    assert forged.get("/metrics").status_code == 403


# --- request series ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_are_counted_by_url_pattern_name_never_by_path(token, api, make_ticket, agent_l1):
    ticket = make_ticket(Status.LOGGED)
    client = api(agent_l1)
    before = scrape()
    key = ("GET", "ticket-detail", "200")

    def count(samples, method, route, status):
        labels = (("method", method), ("route", route), ("status", status))
        return samples.get(("helpdesk_http_requests_total", labels), 0)

    for _ in range(2):
        assert client.get(f"/api/tickets/{ticket.pk}/").status_code == 200
    assert client.get("/no/such/page/").status_code == 404
    after = scrape()
    assert count(after, *key) - count(before, *key) == 2
    assert count(after, "GET", "unmatched", "404") - count(before, "GET", "unmatched", "404") == 1
    latency = (
        "helpdesk_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "ticket-detail")),
    )
    assert after[latency] - before.get(latency, 0) == 2
    routes = {dict(labels).get("route") for _name, labels in after}
    assert not any(route and "/" in route and str(ticket.pk) in route for route in routes)


# --- the desk's gauges ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_gauges_read_the_sweep_lag_clocks_outbox_breaches_and_heartbeats(
    token, make_ticket, security_officer
):
    with time_machine.travel(T0, tick=False) as traveller:
        running = make_ticket(Status.IN_DIAGNOSIS)
        make_ticket(Status.ON_HOLD)
        breach_create(actor=security_officer, title="Laptop lost", aware_at=T0)
        heartbeat_record(name=SLA_SWEEP, at=T0)
        # Two minutes on, one clock's next threshold has been due for 90 s, unrecorded.
        traveller.move_to(T0 + timedelta(minutes=2))
        SlaClock.objects.filter(ticket=running, metric="resolution").update(
            next_alert_at=T0 + timedelta(seconds=30)
        )
        samples = scrape()
        assert samples[("helpdesk_sla_sweep_lag_seconds", ())] == 90
        exact = Counter(SlaClock.objects.values_list("state", flat=True))
        assert {state for state in exact} >= {ClockState.RUNNING, ClockState.PAUSED}
        for state in ClockState:
            assert samples[("helpdesk_sla_clocks", (("state", state.value),))] == exact[state]
        # The tickets' acknowledgements, created at T0, wait in the outbox (no worker here).
        assert samples[("helpdesk_outbox_backlog", ())] >= 2
        assert samples[("helpdesk_outbox_oldest_pending_age_seconds", ())] == 120
        assert samples[("helpdesk_breach_clocks", (("state", "running"),))] == 1
        assert samples[("helpdesk_breach_clocks", (("state", "overdue"),))] == 0
        assert (
            samples[("helpdesk_task_last_success_timestamp_seconds", (("task", SLA_SWEEP),))]
            == T0.timestamp()
        )
        assert samples[("helpdesk_metrics_source_up", (("source", "database"),))] == 1

        # 73 hours on: the breach is past its 72-hour deadline.
        traveller.move_to(T0 + timedelta(hours=73))
        samples = scrape()
        assert samples[("helpdesk_breach_clocks", (("state", "overdue"),))] == 1
        assert samples[("helpdesk_breach_sweep_lag_seconds", ())] > 0


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
def test_a_big_clock_table_is_estimated_from_the_planners_statistics(
    token, make_ticket, monkeypatch
):
    monkeypatch.setattr(selectors, "EXACT_COUNT_MAX_BYTES", 0)  # as if it held millions
    for status in (Status.IN_DIAGNOSIS, Status.IN_DIAGNOSIS, Status.ON_HOLD, Status.ON_HOLD):
        make_ticket(status)
    with connection.cursor() as cursor:  # what autovacuum does in production
        cursor.execute("ANALYZE sla_slaclock")
    samples = scrape()
    exact = Counter(SlaClock.objects.values_list("state", flat=True))
    assert exact[ClockState.PAUSED] == 2
    for state in ClockState:
        assert samples[("helpdesk_sla_clocks", (("state", state.value),))] == exact[state]


@pytest.mark.django_db
def test_an_up_to_date_desk_has_no_lag(token):
    samples = scrape()
    assert samples[("helpdesk_sla_sweep_lag_seconds", ())] == 0
    assert samples[("helpdesk_outbox_oldest_pending_age_seconds", ())] == 0


@pytest.mark.django_db
def test_a_scrape_costs_nine_queries_whatever_the_desk_holds(
    token, make_ticket, django_assert_num_queries
):
    for status in (Status.NEW, Status.IN_DIAGNOSIS, Status.ON_HOLD):
        make_ticket(status)
    # heartbeats; sweep lag (sweep index); the clock table's size and statistics, then (a small
    # table) its count by state; the breach forecast, every window in one read; unapplied SLA
    # events; outbox backlog and oldest; breach clocks running/overdue; breach sweep lag.
    with django_assert_num_queries(9):
        scrape()


@pytest.mark.django_db
def test_the_celery_queue_length_is_read_from_the_broker(token, broker_on):
    redis.Redis(port=broker_on.port).lpush(celery_app.conf.task_default_queue, "a", "b", "c")
    redis.Redis(port=broker_on.port).lpush("sweeps", "d")
    samples = scrape()
    assert samples[("helpdesk_celery_queue_length", (("queue", "celery"),))] == 3
    assert samples[("helpdesk_celery_queue_length", (("queue", "sweeps"),))] == 1
    assert samples[("helpdesk_metrics_source_up", (("source", "broker"),))] == 1


@pytest.mark.django_db
def test_with_the_broker_down_the_scrape_answers_and_says_so(token, broker_on):
    broker_on.stop()
    samples = scrape()
    assert samples[("helpdesk_metrics_source_up", (("source", "broker"),))] == 0
    assert not any(name == "helpdesk_celery_queue_length" for name, _labels in samples)
    assert samples[("helpdesk_metrics_source_up", (("source", "database"),))] == 1


@pytest.mark.django_db
def test_with_the_database_down_the_scrape_answers_and_says_so(token, monkeypatch):
    def refused(**_kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(selectors, "sla_oldest_due", refused)
    samples = scrape()
    assert samples[("helpdesk_metrics_source_up", (("source", "database"),))] == 0
    assert not any(name == "helpdesk_sla_sweep_lag_seconds" for name, _labels in samples)
