"""Issue 16, item 3: the dashboard's period box always describes the figures on screen."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _page(client, manager, data=None):
    client.force_login(manager)
    return client.get(reverse("reports:dashboard"), data or {})


def _selected_period(html: str) -> list[str]:
    select = re.search(r'<select name="period"[^>]*>(.*?)</select>', html, re.S)
    assert select
    return re.findall(r'<option value="([^"]*)"[^>]*selected', select.group(1))


def test_first_load_selects_the_seven_days_the_figures_cover(client, manager):
    response = _page(client, manager)
    assert response.status_code == 200
    assert response.context["period"].key == "7d"
    assert _selected_period(response.content.decode()) == ["7d"]


def test_a_filter_without_a_period_shows_the_default_period_selected(client, manager):
    response = _page(client, manager, {"tier": "1"})
    assert response.context["period"].key == "7d"
    assert _selected_period(response.content.decode()) == ["7d"]


def test_the_period_asked_for_is_the_one_selected(client, manager):
    response = _page(client, manager, {"period": "30d"})
    assert _selected_period(response.content.decode()) == ["30d"]
    assert response.context["board"].period.key == "30d"


@pytest.mark.parametrize(
    "query",
    [
        {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"},  # end before start
        {"period": "custom", "start": "2026-03-10"},  # no end
        {"period": "7d", "tier": "9"},  # no such tier
    ],
)
def test_an_invalid_filter_shows_its_error_and_no_figures(client, manager, query):
    response = _page(client, manager, query)

    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="no-figures"' in html
    assert "errorlist" in html or "form-errors" in html
    assert response.context["board"] is None
    assert "data-figure=" not in html  # no figure that disagrees with the form
    assert "From " not in response.context and "Same figures as JSON" not in html
    # The form still shows what was asked, so it can be corrected.
    assert _selected_period(html) == [query["period"]]


@time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=UTC), tick=False)
def test_a_custom_period_that_starts_tomorrow_is_an_error_not_zeros(client, manager, api):
    # It was a 200 whose period was cut at now to nothing: every figure a silent zero.
    future = {"period": "custom", "start": "2026-03-11", "end": "2026-03-20"}

    response = _page(client, manager, future)
    assert response.status_code == 400
    assert "The start date is in the future." in response.content.decode()
    assert response.context["board"] is None
    csv = client.get(reverse("reports:export"), {**future, "figure": "resolved"})
    assert csv.status_code == 400
    assert api(manager).get("/api/reports/dashboard/", future).status_code == 400
    today = _page(client, manager, {**future, "start": "2026-03-10"})
    assert today.status_code == 200
    assert today.context["board"].period.start.date().isoformat() == "2026-03-10"

    manager.language = "es"
    manager.save(update_fields=["language"])
    spanish = _page(client, manager, future)
    assert "La fecha de inicio está en el futuro." in spanish.content.decode()


def _date_inputs(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="date" name="(start|end)"[^>]*value="([^"]*)"', html))


def test_dates_beside_a_preset_period_are_not_shown_as_if_applied(client, manager):
    # The figures are the last 7 days'; the boxes used to keep 2020's dates beside them.
    dates = {"start": "2020-01-01", "end": "2020-01-05"}
    response = _page(client, manager, {"period": "7d", **dates})
    assert response.status_code == 200
    assert response.context["board"].period.key == "7d"
    assert _date_inputs(response.content.decode()) == {"start": "", "end": ""}

    custom = _page(client, manager, {"period": "custom", **dates})
    assert _date_inputs(custom.content.decode()) == dates


@time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=UTC), tick=False)
def test_the_api_with_a_token_counts_a_custom_period_in_the_users_time_zone(client, manager, api):
    # The page and the CSV counted whole days in the manager's time zone; the API with a token
    # counted them in UTC (the middleware saw the request as anonymous), so the same dates gave
    # other figures. Auckland is 13 hours ahead: its 9 March starts at 11:00 UTC on the 8th.
    manager.time_zone = "Pacific/Auckland"
    manager.save(update_fields=["time_zone"])
    dates = {"period": "custom", "start": "2026-03-09", "end": "2026-03-09"}

    page = _page(client, manager, dates).context["board"].period
    response = api(manager).get("/api/reports/dashboard/", dates)

    assert response.status_code == 200
    assert page.start == datetime(2026, 3, 8, 11, tzinfo=UTC)
    period = response.json()["period"]
    assert datetime.fromisoformat(period["start"]) == page.start
    assert datetime.fromisoformat(period["end"]) == page.end


def test_an_unknown_filter_is_an_error_not_the_unfiltered_figures(client, manager, api):
    # `?priorty=1` answered every priority's figures as if they were P1's (page, CSV and API).
    typo = {"period": "7d", "priorty": "1"}

    page = _page(client, manager, typo)
    csv = client.get(reverse("reports:export"), {**typo, "figure": "resolved"})
    response = api(manager).get("/api/reports/dashboard/", typo, HTTP_ACCEPT_LANGUAGE="es")

    assert page.status_code == 400
    assert "“priorty” is not a filter of the SLA dashboard" in page.content.decode()
    assert page.context["board"] is None
    assert csv.status_code == 400
    assert "“priorty” is not a filter" in csv.content.decode()
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["priorty"]
    assert "no es un filtro del panel de SLA" in response.json()["message"]
    # What the page's own links carry is still accepted.
    assert (
        client.get(reverse("reports:export"), {"period": "7d", "figure": "met"}).status_code == 200
    )
    assert api(manager).get("/api/reports/dashboard/", {"format": "json"}).status_code == 200


def test_an_error_of_no_one_field_reads_as_a_sentence_in_the_api(api, manager):
    # It read "__all__: A custom period needs a start and an end date." (the form's key).
    response = api(manager).get(
        "/api/reports/dashboard/", {"period": "custom", "start": "2026-03-01"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "message": "A custom period needs a start and an end date.",
        "errors": {"non_field_errors": ["A custom period needs a start and an end date."]},
    }


def test_a_custom_period_with_dates_out_of_range_says_only_what_is_wrong(client, manager):
    # Both dates were given: the page also said "A custom period needs a start and an end date."
    bad = {"period": "custom", "start": "0001-01-01", "end": "9999-12-31"}

    page = _page(client, manager, bad)

    html = page.content.decode()
    assert page.status_code == 400
    assert html.count("Enter a date between 2000-01-01 and 2099-12-31.") == 2
    assert "needs a start and an end date" not in html


@pytest.mark.parametrize("extra", [{"figure": "resolved"}, {"metric": "resolution"}])
def test_the_csvs_figure_is_refused_by_name_on_the_page_and_the_api(client, manager, api, extra):
    # The API (and the page) answered the unfiltered figures to ?figure=… or ?metric=…: those
    # are the CSV's, and a script asking the API for one figure got all of them as if it had.
    query = {"period": "7d", **extra}
    [name] = extra

    response = api(manager).get("/api/reports/dashboard/", query)
    page = _page(client, manager, query)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [name]
    assert f"“{name}” is not a filter of the SLA dashboard" in response.json()["message"]
    assert page.status_code == 400
    assert f"“{name}” is not a filter of the SLA dashboard" in page.content.decode()
    # The CSV still takes them, and refuses by name what it does not take.
    assert client.get(reverse("reports:export"), {"figure": "met", **query}).status_code == 200
    csv = client.get(reverse("reports:export"), {"figure": "met", "figur": "x"})
    assert csv.status_code == 400
    assert "“figur” is not a filter of the SLA dashboard's CSV" in csv.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"priority": "99999999999999999999"},
        {"category": "99999999999999999999"},
        {"group": "-1"},
        {"tier": "x"},
        {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"},
        {"period": "custom", "start": "99999-01-01", "end": "2026-03-01"},
        {"period": "forever"},
    ],
)
def test_an_ill_formed_api_query_is_a_400_naming_the_parameter(api, manager, query):
    response = api(manager).get("/api/reports/dashboard/", query)

    assert response.status_code == 400
    body = response.json()
    assert body["errors"], body
    assert body["message"]
