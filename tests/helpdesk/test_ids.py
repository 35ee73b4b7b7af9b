"""Ids from people and clients: digits that int() refuses or no column holds are a 400 or a
404, never a 500 (found by sending hostile input to every API operation)."""

import pytest
from django.test import Client

from helpdesk.ids import parse_id


@pytest.mark.parametrize(
    ("text", "number"),
    [("123", 123), (" 7 ", 7), ("0", 0), ("9" * 18, int("9" * 18))],
)
def test_parse_id_reads_ascii_digits_that_fit_a_bigint(text, number):
    assert parse_id(text) == number


@pytest.mark.parametrize("text", ["", "-1", "1.5", "²", "٣", "1e3", "9" * 19, "12a", None])
def test_parse_id_refuses_the_rest(text):
    assert parse_id(text) is None


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", "9" * 20, "-3"])
@pytest.mark.parametrize("name", ["assignee", "requester"])
def test_ticket_list_filters_with_a_bad_id_are_a_400(api, agent_l1, name, value):
    response = api(agent_l1).get("/api/tickets/", {name: value})
    assert response.status_code == 400
    assert name in response.json()["errors"]


@pytest.mark.django_db
def test_other_places_that_read_an_id_do_not_fail(api, manager, agent_l1):
    assert api(manager).get("/api/kb/articles/", {"category": "²"}).status_code == 200
    assert api(manager).get(f"/api/escalation/rules/{'9' * 25}/").status_code == 404
    browser = Client()
    browser.force_login(agent_l1)
    for query in ("assignee=²", f"category={'9' * 25}", "q=INC-²"):
        assert browser.get(f"/console/?{query}").status_code == 200
