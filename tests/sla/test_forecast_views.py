"""The breach forecast page, its CSV and API: who may see them, what they show, bad input, and
what they cost in queries."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from escalation.models import Tier
from sla.models import Metric
from tests.factories import AgentFactory, SupportGroupFactory
from tests.sla.test_forecast import NOW, add_clock, ticket

pytestmark = pytest.mark.django_db

PAGE, CSV, API = "sla:forecast", "sla:forecast_csv", "api-sla-forecast"


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def lead_l2():
    lead = AgentFactory(username="lead_l2", display_name="Lead L2", tier=Tier.L2)
    SupportGroupFactory(name="Network", tier=Tier.L2, lead=lead)
    return lead


@pytest.fixture
def due_soon(agent_l1):
    """Two L1 clocks and one L2 clock due within 4 h; one L1 clock due in 6 h."""
    return {
        "l1_first": add_clock(
            ticket(tier=Tier.L1, assignee=agent_l1, title="Printer on fire"),
            due_in=timedelta(minutes=30),
            metric=Metric.FIRST_RESPONSE,
        ),
        "l1": add_clock(ticket(tier=Tier.L1), due_in=timedelta(hours=2)),
        "l2": add_clock(ticket(tier=Tier.L2, title="Router down"), due_in=timedelta(hours=3)),
        "later": add_clock(ticket(tier=Tier.L1), due_in=timedelta(hours=6)),
    }


def _get(client, user, name, data=None, **headers):
    if user is not None:
        client.force_login(user)
    return client.get(reverse(name), data or {}, **headers)


# --- who -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["requester", "agent_l1", "security_officer", "outsider"])
def test_only_managers_and_tier_leads_see_the_forecast(client, api, request, persona):
    user = request.getfixturevalue(persona)
    assert _get(client, user, PAGE).status_code == 403
    assert _get(client, user, CSV).status_code == 403
    response = api(user).get(reverse(API))
    assert response.status_code == 403
    assert "tier leads" in response.json()["message"]


def test_anonymous_visitors_are_sent_to_sign_in(client, api):
    response = client.get(reverse(PAGE))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert api(None).get(reverse(API)).status_code in (401, 403)


def test_a_manager_sees_every_tier(client, manager, due_soon):
    response = _get(client, manager, PAGE)
    assert response.status_code == 200
    board = response.context["board"]
    assert board.hours == 4 and board.total == 3
    body = response.content.decode()
    assert 'data-figure="forecast_total">3<' in body
    assert "Printer on fire" in body and "Router down" in body
    assert "does not advance" in body  # the page says why paused clocks are not listed


def test_a_tier_lead_sees_only_the_tiers_of_their_groups(client, api, lead_l2, due_soon):
    response = _get(client, lead_l2, PAGE)
    assert response.status_code == 200
    assert [i.clock_id for i in response.context["board"].items] == [due_soon["l2"].pk]
    assert "Printer on fire" not in response.content.decode()
    data = api(lead_l2).get(reverse(API)).json()
    assert [i["clock_id"] for i in data["items"]] == [due_soon["l2"].pk]
    rows = list(csv.reader(io.StringIO(_csv_text(_get(client, lead_l2, CSV)))))
    assert [row[1] for row in rows[1:]] == ["Router down"]


def _csv_text(response) -> str:
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


# --- what ------------------------------------------------------------------------------------


def test_the_window_is_chosen_from_the_offered_ones(client, manager, due_soon):
    assert _get(client, manager, PAGE, {"hours": "1"}).context["board"].total == 1
    assert _get(client, manager, PAGE, {"hours": "8"}).context["board"].total == 4


@pytest.mark.parametrize(
    "query",
    [
        {"hours": "3"},
        {"hours": "many"},
        {"hours": "-1"},
        {"cursor": "not-a-cursor"},
        {"tier": "9"},
        {"tier": "abc"},
        {"window": "abc"},  # not a parameter: it showed the default window's figures
    ],
)
def test_bad_input_is_a_form_error_or_a_400_never_a_500(client, api, manager, query):
    response = _get(client, manager, PAGE, query)
    assert response.status_code == 400
    assert response.context["board"] is None
    assert 'role="alert"' in response.content.decode()
    assert _get(client, manager, CSV, query).status_code == 400
    answer = api(manager).get(reverse(API), query)
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == set(query)


def test_a_parameter_the_forecast_does_not_take_is_named_not_ignored(client, api, manager):
    response = _get(client, manager, PAGE, {"window": "abc", "hours": "8"})

    assert response.status_code == 400
    page = response.content.decode()
    said = "“window” is not a filter of the breach forecast: it takes hours (the window), "
    assert said in page
    # The filter form is there, with the window that was chosen.
    assert 'data-testid="forecast-form"' in page
    assert response.context["form"]["hours"].value() == "8"
    answer = api(manager).get(reverse(API), {"window": "abc"})
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("window: “window” is not a filter")
    # DRF's own ?format=json is not refused.
    assert api(manager).get(reverse(API), {"format": "json"}).status_code == 200


def test_a_tier_out_of_range_is_refused_naming_the_field(client, api, manager):
    response = _get(client, manager, PAGE, {"tier": "9"})

    assert response.status_code == 400
    said = "Tier: Select a valid choice. 9 is not one of the available choices."
    assert said in response.content.decode()
    assert _get(client, manager, CSV, {"tier": "9"}).content.decode() == said
    assert api(manager).get(reverse(API), {"tier": "9"}).json()["errors"] == {
        "tier": ["Select a valid choice. 9 is not one of the available choices."]
    }


def test_the_refusal_reads_in_spanish(client, manager):
    manager.language = "es"
    manager.save(update_fields=["language"])
    page = _get(client, manager, PAGE, {"window": "abc"}).content.decode()
    assert "«window» no es un filtro de la previsión de incumplimientos" in page


def test_the_tier_filter_narrows_page_api_and_csv(client, api, manager, due_soon):
    response = _get(client, manager, PAGE, {"tier": "2"})
    assert response.status_code == 200
    assert [i.clock_id for i in response.context["board"].items] == [due_soon["l2"].pk]
    assert "hours=4&amp;tier=2" in response.content.decode()  # the JSON and CSV links keep it
    data = api(manager).get(reverse(API), {"tier": "2"}).json()
    assert data["total"] == 1
    rows = list(csv.reader(io.StringIO(_csv_text(_get(client, manager, CSV, {"tier": "1"})))))
    assert len(rows) - 1 == 2  # the two L1 clocks due within 4 h


def test_a_tier_lead_may_not_choose_a_tier_they_do_not_see(client, api, lead_l2, due_soon):
    assert _get(client, lead_l2, PAGE, {"tier": "2"}).status_code == 200
    assert _get(client, lead_l2, PAGE, {"tier": "1"}).status_code == 400
    assert api(lead_l2).get(reverse(API), {"tier": "1"}).status_code == 400


def test_the_csv_400_names_the_field_by_its_label(client, manager):
    # It read "* hours\n  * Select a valid choice…": the form's internal names.
    response = _get(client, manager, CSV, {"hours": "3"})
    assert response.status_code == 400
    assert response.content.decode() == (
        "Window: Select a valid choice. 3 is not one of the available choices."
    )


def test_the_api_returns_the_page_figures(client, api, manager, agent_l1, due_soon):
    data = api(manager).get(reverse(API), {"hours": 4}).json()
    assert (data["hours"], data["total"], data["overdue"], data["more"]) == (4, 3, 0, 0)
    assert data["next_cursor"] is None
    first = data["items"][0]
    assert first["clock_id"] == due_soon["l1_first"].pk
    assert first["seconds_left"] == 30 * 60
    assert (
        first["kind"] == "sla" and first["clock"] == "First response" and first["tier"] == Tier.L1
    )
    assert {r["key"]: r["count"] for r in data["by_tier"]} == {1: 2, 2: 1}
    assignees = {r["key"]: (r["count"], r["load"]) for r in data["by_assignee"]}
    assert assignees == {agent_l1.pk: (1, 1), None: (2, None)}


def test_the_csv_header_is_in_the_users_language(client, manager, due_soon):
    # Spanish users got an English header; the values stay the same in every language.
    manager.language = "es"
    manager.save(update_fields=["language"])
    response = _get(client, manager, CSV, {"hours": 4})
    translation.activate("en")  # the body streams after the view, maybe in another language
    rows = list(csv.reader(io.StringIO(_csv_text(response))))
    assert rows[0] == [
        "ticket",
        "título",
        "estado",
        "prioridad",
        "nivel",
        "grupo",
        "asignado a",
        "tipo",
        "reloj",
        "vence el",
        "segundos restantes",
    ]
    assert rows[1][-1] == str(30 * 60)


def test_the_list_pages_with_how_many_more(client, api, manager, settings):
    for n in range(55):
        add_clock(ticket(), due_in=timedelta(minutes=5 + n))
    response = _get(client, manager, PAGE, {"hours": 4})
    board = response.context["board"]
    assert (len(board.items), board.more) == (50, 5)
    assert "5 more clocks" in response.content.decode()
    data = api(manager).get(reverse(API), {"hours": 4, "cursor": board.next_cursor}).json()
    assert (len(data["items"]), data["more"], data["next_cursor"]) == (5, 0, None)
    follow = _get(client, manager, PAGE, {"hours": 4, "cursor": board.next_cursor})
    assert len(follow.context["board"].items) == 5


def test_the_csv_lists_every_clock_of_the_window(client, manager, due_soon):
    response = _get(client, manager, CSV, {"hours": 4})
    assert response["Content-Disposition"].startswith('attachment; filename="breach-forecast-4h')
    rows = list(csv.reader(io.StringIO(_csv_text(response))))
    assert rows[0][:2] == ["ticket", "title"]
    # Soonest first, with the seconds left (the clock due in 6 h is outside the window).
    assert [(row[1], row[-1]) for row in rows[1:]] == [
        ("Printer on fire", str(30 * 60)),
        (due_soon["l1"].ticket.title, str(2 * 3600)),
        ("Router down", str(3 * 3600)),
    ]


def test_the_page_in_spanish(client, manager, due_soon):
    manager.language = "es"
    manager.save(update_fields=["language"])
    body = _get(client, manager, PAGE).content.decode()
    assert "Previsión de incumplimientos" in body
    assert "Se incumplen en las próximas 4 horas" in body
    assert "Sin asignar" in body  # the unassigned row of the grouping


def test_the_schema_documents_the_api(api, manager):
    schema = api(manager).get(reverse("api-schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/sla/forecast/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"hours", "cursor"}


# --- cost --------------------------------------------------------------------------------------


def _queries(fetch) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = fetch()
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_page_and_the_api_cost_a_fixed_number_of_queries(client, api, manager, agent_l1):
    client.force_login(manager)
    add_clock(
        ticket(assignee=agent_l1, support_group=SupportGroupFactory()), due_in=timedelta(hours=1)
    )
    few_page = _queries(lambda: client.get(reverse(PAGE)))
    few_api = _queries(lambda: api(manager).get(reverse(API)))
    for n in range(60):
        add_clock(
            ticket(assignee=AgentFactory(), support_group=SupportGroupFactory()),
            due_in=timedelta(minutes=n + 1),
        )
    many_page = _queries(lambda: client.get(reverse(PAGE)))
    many_api = _queries(lambda: api(manager).get(reverse(API)))
    # Page: session, user; window and overdue counts (every source in one); the page of clocks
    # (with their tickets, groups and assignees), one per source (SLA, OLA); what follows the
    # page (only when there is a next page; every source in one); the groupings (every source
    # in one); group names; agents with their load.
    assert len(few_page) == 8 and len(many_page) == 9
    # API: token and its user (2), then the same reads (7 or 8, the count of what follows).
    assert len(many_api) - len(few_api) == 1 and len(many_api) <= 10
