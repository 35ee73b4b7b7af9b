"""The dashboard page, its CSV exports and the API: who may see them, what they show, and
what they cost in queries."""

import csv
import io
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalation.models import Tier
from reports.forms import Filters
from reports.selectors import dashboard
from tests.factories import CategoryFactory, TicketFactory
from tests.reports.conftest import NOW, PERIOD
from tickets.models import Status

pytestmark = pytest.mark.django_db

# The day of conftest.build_day, as a query string.
DAY_QUERY = {"period": "custom", "start": "2025-03-03", "end": "2025-03-03"}


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def _get(client, user, name, data=None):
    client.force_login(user)
    return client.get(reverse(name), data or {})


@pytest.mark.parametrize("persona", ["requester", "agent_l1", "agent_l2"])
def test_only_managers_see_the_dashboard(client, request, persona):
    user = request.getfixturevalue(persona)
    assert _get(client, user, "reports:dashboard").status_code == 403
    assert _get(client, user, "reports:export", {"figure": "resolved"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("persona", ["requester", "agent_l1"])
def test_only_managers_get_the_api(api, request, persona):
    user = request.getfixturevalue(persona)
    response = api(user).get(reverse("api-reports-dashboard"))
    assert response.status_code == 403
    assert "managers" in response.json()["message"]
    assert api(None).get(reverse("api-reports-dashboard")).status_code in (401, 403)


def test_the_page_shows_the_figures_with_their_definitions(client, manager, day, frozen_now):
    response = _get(client, manager, "reports:dashboard", DAY_QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    board = response.context["board"]
    assert board.resolution.mean == 20160.0  # as in test_metrics
    assert 'data-figure="mttr">5 h 36 min<' in html  # 20160 s
    assert 'data-figure="mttr_median">5 h 00 min<' in html
    assert 'data-figure="mttr_p90">8 h 12 min<' in html  # 29520 s
    assert 'data-figure="first_response_p90">1 h 36 min<' in html  # 5760 s
    assert 'data-figure="compliance_first_response">80.0 %' in html
    assert 'data-figure="breaches">2<' in html
    assert 'data-figure="at_risk">1<' in html
    assert 'data-figure="escalation_rate">20.0 %<' in html
    assert 'data-figure="first_contact_rate">80.0 %<' in html
    assert 'data-figure="reopen_rate">20.0 %<' in html
    assert 'data-figure="backlog">2<' in html
    # The definitions beside the figures, and the charts served with the page.
    assert "last resolution − created − all time waiting on the requester" in html
    assert "Met / (met + breached)" in html
    assert html.count('<svg class="chart"') == 6
    assert f'href="/tickets/{day.tickets["T6"].pk}/"' in html  # at risk, with its link


def test_a_filter_changes_the_figures(client, manager, day, frozen_now):
    response = _get(client, manager, "reports:dashboard", {**DAY_QUERY, "priority": "2"})
    html = response.content.decode()
    assert 'data-figure="mttr">7 h 00 min<' in html  # T2 only
    assert 'data-figure="resolved">1<' in html


def test_bad_input_is_a_form_error_not_a_500(client, manager, frozen_now):
    response = _get(
        client,
        manager,
        "reports:dashboard",
        {"period": "custom", "start": "2025-03-05", "end": "2025-03-01", "tier": "9"},
    )
    assert response.status_code == 400  # the form's errors, and no figures (issue 16 item 3)
    html = response.content.decode()
    assert "The end date is before the start date." in html
    assert "Select a valid choice" in html
    assert _get(client, manager, "reports:export", {"figure": "nope"}).status_code == 400


def test_a_refused_csv_query_says_why_in_plain_words(client, manager):
    # It read "* __all__\n  * The end date…": the form's internal names.
    query = {"figure": "resolved", "period": "custom", "start": "2025-03-05", "end": "2025-03-01"}
    response = _get(client, manager, "reports:export", {**query, "tier": "9"})
    assert response.status_code == 400
    assert response.content.decode().splitlines() == [
        "Tier: Select a valid choice. 9 is not one of the available choices.",
        "The end date is before the start date.",
    ]


def test_the_csv_names_what_is_unknown_a_figure_or_a_metric(client, manager):
    # A bad metric of a good figure used to answer "Unknown figure.".
    figure = _get(client, manager, "reports:export", {"figure": "nope"})
    assert (figure.status_code, figure.content.decode()) == (400, "Unknown figure.")
    metric = _get(client, manager, "reports:export", {"figure": "breached", "metric": "nope"})
    assert (metric.status_code, metric.content.decode()) == (400, "Unknown metric.")
    manager.language = "es"
    manager.save(update_fields=["language"])
    spanish = _get(client, manager, "reports:export", {"figure": "breached", "metric": "nope"})
    assert spanish.content.decode() == "Métrica desconocida."


def _csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_the_csv_header_is_in_the_users_language(client, manager, day, frozen_now):
    # Spanish users got English column names; English keeps the names scripts read.
    query = {**DAY_QUERY, "figure": "breached"}
    english = _csv(_get(client, manager, "reports:export", query))
    manager.language = "es"
    manager.save(update_fields=["language"])
    spanish = _csv(_get(client, manager, "reports:export", query))
    assert list(spanish[0]) == [
        "id",
        "tipo",
        "título",
        "estado",
        "prioridad",
        "nivel",
        "id de categoría",
        "id de grupo de soporte",
        "creado el",
        "primera respuesta el",
        "resuelto el",
        "escalados",
        "reaperturas",
        "métrica",
        "ciclo",
        "veredicto",
        "decidido el",
    ]
    assert list(english[0])[:3] == ["id", "kind", "title"]
    assert [list(row.values()) for row in spanish] == [list(row.values()) for row in english]


def test_the_csv_has_the_tickets_behind_each_figure(client, manager, day, frozen_now):
    rows = _csv(_get(client, manager, "reports:export", {**DAY_QUERY, "figure": "resolved"}))
    assert sorted(int(r["id"]) for r in rows) == sorted(
        day.tickets[name].pk for name in ("T1", "T2", "T3", "T4", "T8")
    )
    seconds = [float(r["seconds"]) for r in rows]
    assert sum(seconds) / len(seconds) == 20160.0  # the page's MTTR

    breached = _csv(_get(client, manager, "reports:export", {**DAY_QUERY, "figure": "breached"}))
    assert {(int(r["id"]), r["metric"]) for r in breached} == {
        (day.tickets["T2"].pk, "first_response"),
        (day.tickets["T5"].pk, "resolution"),
    }
    met_fr = _csv(
        _get(
            client,
            manager,
            "reports:export",
            {**DAY_QUERY, "figure": "met", "metric": "first_response"},
        )
    )
    assert len(met_fr) == 4
    escalated = _csv(_get(client, manager, "reports:export", {**DAY_QUERY, "figure": "escalated"}))
    assert [int(r["id"]) for r in escalated] == [day.tickets["T4"].pk]
    at_risk = _csv(_get(client, manager, "reports:export", {**DAY_QUERY, "figure": "at_risk"}))
    assert [int(r["id"]) for r in at_risk] == [day.tickets["T6"].pk]
    backlog = _csv(_get(client, manager, "reports:export", {**DAY_QUERY, "figure": "backlog"}))
    assert {int(r["id"]) for r in backlog} == {day.tickets["T5"].pk, day.tickets["T6"].pk}


def test_a_parent_category_filters_its_subcategories_on_the_page_and_in_the_api(
    api, client, manager, day, frozen_now
):
    # T1 is the only ticket in the other category; put that under a parent and filter by it.
    parent = CategoryFactory(name="Infrastructure", name_es="Infraestructura")
    day.other_category.parent = parent
    day.other_category.save(update_fields=["parent"])
    query = {**DAY_QUERY, "category": parent.pk}
    page = _get(client, manager, "reports:dashboard", query).context
    # The page resolves the family from its category list (literal ids, no subquery) …
    board = page["board"]
    assert set(board.filters.category_ids) == {parent.pk, day.other_category.pk}
    assert (board.resolution.count, board.resolution.mean) == (1, 2 * 3600.0)  # T1
    # … the API, which loads no list, through a subquery: the same figures.
    data = api(manager).get(reverse("api-reports-dashboard"), query).json()
    assert (data["resolution"]["count"], data["resolution"]["mean_seconds"]) == (1, 7200.0)
    unrelated = CategoryFactory(name="Printers", name_es="Impresoras")
    none = _get(client, manager, "reports:dashboard", {**DAY_QUERY, "category": unrelated.pk})
    assert none.context["board"].resolution.count == 0


def test_the_api_returns_the_page_figures(api, client, manager, day, frozen_now):
    page = _get(client, manager, "reports:dashboard", DAY_QUERY).context["board"]
    data = api(manager).get(reverse("api-reports-dashboard"), DAY_QUERY).json()
    assert data["resolution"] == {
        "count": 5,
        "mean_seconds": page.resolution.mean,
        "median_seconds": 18000.0,
        "p90_seconds": 29520.0,
    }
    assert data["first_response"]["p90_seconds"] == 5760.0
    assert data["compliance"]["first_response"] == {
        "met": 4,
        "breached": 1,
        "decided": 5,
        "percent": 80.0,
    }
    assert data["compliance"]["resolution"]["percent"] == page.compliance["resolution"].percent
    assert data["breaches"] == 2 and data["at_risk_count"] == 1
    assert data["escalation_rate"]["percent"] == 20.0
    assert data["first_contact_resolution"]["numerator"] == 4
    assert data["reopen_rate"]["denominator"] == 5
    assert data["mttr_goal_seconds"] == 86400.0 and data["mttr_goal_met"] is True
    assert {(c["state"], c["tier"]): c["count"] for c in data["backlog"] if c["count"]} == {
        (Status.IN_DIAGNOSIS, Tier.L1): 1,
        (Status.PRIORITIZED, Tier.L1): 1,
    }
    assert [p["met"] for p in data["trend"]] == [11]
    bad = api(manager).get(reverse("api-reports-dashboard"), {"period": "custom"})
    assert bad.status_code == 400


def _dashboard_queries(client, manager) -> list[str]:
    client.force_login(manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reports:dashboard"), {"period": "30d", "tier": "1"})
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_page_costs_a_fixed_number_of_queries(client, manager, requester, category):
    TicketFactory.create_batch(3, requester=requester, category=category)
    few = _dashboard_queries(client, manager)
    TicketFactory.create_batch(
        30, requester=requester, category=category, status=Status.IN_DIAGNOSIS
    )
    many = _dashboard_queries(client, manager)
    # session, user; categories, support groups (filters and labels); SAVEPOINT (the test's
    # transaction; BEGIN in production, not logged), set_config (JIT and parallel workers off);
    # first responses and resolutions (MTTR, percentiles, rates, histogram, and the trend's
    # per-day counts and means in the same scans); compliance and its trend, from the whole
    # days' counts, the partial days' verdicts and the breaches not yet recorded, each by
    # metric × priority × tier × category and by day (reports.compliance: one GROUPING SETS
    # query per source, 3 queries); at-risk
    # count; at-risk list; backlog; trend: created; RELEASE SAVEPOINT; then the period's
    # satisfaction (csat.selectors.csat_summary; four queries when nobody answered a survey
    # in the period, as here); the tiers' OLA met / breached (issue 22, ola.selectors); and the
    # breach forecast's tile (one count, sla.forecast).
    assert len(few) == len(many) == 22
    assert few[4].startswith("SAVEPOINT") and "set_config" in few[5]


def test_the_dashboard_selector_is_a_fixed_number_of_queries(django_assert_num_queries, day):
    # SAVEPOINT, set_config, 9 aggregates (see above: PERIOD has no whole day, so no day
    # counts are read), RELEASE SAVEPOINT.
    with django_assert_num_queries(11):
        dashboard(period=PERIOD, filters=Filters(), now=NOW, categories=[])


def test_an_agent_sees_their_own_queue_health(client, agent_l1, agent_l2, day, frozen_now):
    response = _get(client, agent_l1, "reports:queue_health")
    assert response.status_code == 200
    [row] = response.context["rows"]  # only their own
    # T5 is theirs: in diagnosis, resolution breached at 08:00; nothing waits on the requester.
    assert (row.agent, row.open, row.at_risk, row.breached, row.waiting) == (
        agent_l1,
        1,
        0,
        1,
        0,
    )
    assert [t.pk for t in response.context["attention"]] == [day.tickets["T5"].pk]
    assert 'data-agent="agent_l2"' not in response.content.decode()


def test_a_manager_sees_every_agents_queue_health(
    client, manager, agent_l1, agent_l2, day, frozen_now
):
    response = _get(client, manager, "reports:queue_health")
    rows = {row.agent.username: row for row in response.context["rows"]}
    assert set(rows) == {"agent_l1", "agent_l2"}
    assert (rows["agent_l2"].open, rows["agent_l1"].breached) == (0, 1)
    one = _get(client, manager, "reports:queue_health", {"agent": agent_l1.pk})
    assert [t.pk for t in one.context["attention"]] == [day.tickets["T5"].pk]


@pytest.mark.parametrize(
    ("value", "status", "english", "spanish"),
    [
        ("x", 400, "“x” is not an agent's number", "«x» no es el número de un agente"),
        ("1 OR 1=1", 400, "is not an agent's number", "no es el número de un agente"),
        ("-3", 400, "is not an agent's number", "no es el número de un agente"),
        ("999999", 404, "no user has that number", "ningún usuario tiene ese número"),
        ("9" * 30, 404, "no user has that number", "ningún usuario tiene ese número"),
        ("manager", 404, "is not an agent", "no es agente"),
        ("deactivated", 404, "is deactivated and holds no open tickets", "está desactivado"),
    ],
)
def test_a_refused_agent_filter_says_which_and_why_above_every_agents_queue(
    client, manager, agent_l1, agent_l2, day, frozen_now, value, status, english, spanish
):
    """A stale ?agent= link (an agent since deactivated, a manager's number, a mangled link)
    answered the generic "page not found" page: nothing said which filter was refused."""
    if value == "manager":
        value = str(manager.pk)
    elif value == "deactivated":
        agent_l2.is_active = False  # agent_l2 holds no open ticket: no longer listed
        agent_l2.save(update_fields=["is_active"])
        value = str(agent_l2.pk)
    for language, expected in (("en", english), ("es", spanish)):
        manager.language = language
        manager.save(update_fields=["language"])
        client.force_login(manager)
        response = client.get(reverse("reports:queue_health"), {"agent": value})

        assert response.status_code == status
        html = unescape(response.content.decode())
        assert 'data-testid="refused-filter"' in html
        assert expected in html, language
        assert 'data-agent="agent_l1"' in html  # every agent's queue is still there
        assert ("Every agent's queue is shown below." in html) == (language == "en")
        assert response.context["focus"] is None


def test_an_agent_following_a_link_to_a_colleagues_queue_is_told_they_see_their_own(
    client, agent_l1, agent_l2, day, frozen_now
):
    response = _get(client, agent_l1, "reports:queue_health", {"agent": agent_l2.pk})

    assert response.status_code == 404
    assert "agents see their own queue only" in response.content.decode()
    assert "Every agent" not in unescape(response.content.decode())  # only their own
    assert response.context["focus"] == agent_l1
    assert _get(client, agent_l1, "reports:queue_health", {"agent": agent_l1.pk}).status_code == 200


def test_an_unknown_queue_health_parameter_is_refused_by_name(client, manager, frozen_now):
    response = _get(client, manager, "reports:queue_health", {"agnet": "3"})

    assert response.status_code == 400
    assert "“agnet” is not a filter of queue health" in response.content.decode()


def test_a_deactivated_agent_still_holding_open_tickets_stays_listed_to_managers(
    client, api, manager, agent_l1, agent_l2, day, frozen_now
):
    """Deactivating an agent left their open tickets assigned to them; leaving them out of
    the page hid those tickets from every figure here."""
    for agent in (agent_l1, agent_l2):  # agent_l1 holds an open ticket, agent_l2 none
        agent.is_active = False
        agent.save(update_fields=["is_active"])

    response = _get(client, manager, "reports:queue_health")

    rows = {row.agent.username: row for row in response.context["rows"]}
    assert set(rows) == {"agent_l1"}
    assert (rows["agent_l1"].open, rows["agent_l1"].breached) == (1, 1)
    assert 'data-testid="deactivated"' in response.content.decode()
    [listed] = api(manager).get(reverse("api-reports-queues")).json()
    assert (listed["agent_id"], listed["agent_is_active"]) == (agent_l1.pk, False)


def test_requesters_get_no_queue_health(client, api, requester):
    assert _get(client, requester, "reports:queue_health").status_code == 403
    assert api(requester).get(reverse("api-reports-queues")).status_code == 403


def test_the_queue_health_api(api, agent_l1, manager, day, frozen_now):
    [own] = api(agent_l1).get(reverse("api-reports-queues")).json()
    assert own == {
        "agent_id": agent_l1.pk,
        "agent": agent_l1.name,
        "agent_is_active": True,
        "open": 1,
        "at_risk": 0,
        "breached": 1,
        "waiting_on_requester": 0,
    }
    assert len(api(manager).get(reverse("api-reports-queues")).json()) == 2


def test_the_page_says_that_after_a_gap_only_the_highest_threshold_is_notified(
    client, manager, frozen_now
):
    """README and docs/sla.md say it too: the sweep records only the highest threshold a clock
    passed since it last looked, by design (issue 18 item 6)."""
    html = _get(client, manager, "reports:dashboard").content.decode()
    assert "records and notifies only the highest" in html
    manager.language = "es"
    manager.save(update_fields=["language"])
    html = _get(client, manager, "reports:dashboard").content.decode()
    assert "registra y notifica solo el más alto" in html


def test_the_queue_health_api_refuses_a_parameter_by_name(api, agent_l1, manager, day, frozen_now):
    # `?agent=` (the page's filter) answered every agent's row as if it were that agent's.
    response = api(manager).get(reverse("api-reports-queues"), {"agent": agent_l1.pk})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["agent"]
    assert "is not a parameter of the queue health API" in response.json()["message"]
    assert api(manager).get(reverse("api-reports-queues"), {"format": "json"}).status_code == 200
