"""Every input answers 4xx, never 5xx (issue 17, items 8–12 and Cache-Control).

Forged cursors, NUL characters anywhere (path, headers, form and JSON bodies), deeply nested or
oversized JSON, dates at the ends of the calendar, and monitoring payloads the database cannot
store: each a 400 (or 413) with a message, never a 500 or a 503 a client would retry forever.
"""

import base64
import json

import pytest
from django.db import DataError
from django.db.models import Q
from django.db.models.functions import ExtractYear
from django.test import Client
from rest_framework.test import APIClient

from breaches.models import AuthorityNotification, Breach
from escalation.models import OnCallShift, ScheduledCall
from incidents.models import MajorIncident
from tests.integrations.conftest import EVENTS_URL, payload
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# --- item 8: cursors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("p=abc"),  # the probe's cursor: DRF let the position through to the query
        _cursor("p="),
        _cursor("p=99999999999999999999999"),  # beyond bigint
        _cursor("p=1&r=x"),
        _cursor("o=-1"),
        "not base64!",
        "%ff%fe",
        "é",
    ],
)
def test_a_forged_cursor_is_a_400(api, agent_l1, make_ticket, cursor):
    make_ticket()
    response = api(agent_l1).get("/api/tickets/", {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert response.json()["message"]


def test_the_cursors_the_api_hands_out_still_work(api, agent_l1, make_ticket):
    for _ in range(3):
        make_ticket()
    first = api(agent_l1).get("/api/tickets/", {"page_size": 2}).json()
    second = api(agent_l1).get(first["next"])
    assert second.status_code == 200
    assert len(second.json()["results"]) == 1


# --- item 9: NUL anywhere ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/t/%00/", "/t/a%00b/reply/", "/api/tickets/%00/", "/kb/%00/"])
def test_a_nul_in_the_path_is_a_400(client, path):
    assert client.get(path).status_code == 400


def test_a_nul_in_a_header_is_a_400(api, requester):
    client = api(requester)
    assert client.get("/api/tickets/", HTTP_X_ANYTHING="a\x00b").status_code == 400
    assert Client().get("/new/", HTTP_ACCEPT_LANGUAGE="es\x00").status_code == 400
    assert Client().get("/new/", HTTP_COOKIE="sessionid=a\x00").status_code == 400


def test_a_nul_in_a_form_field_is_a_400(client, category):
    response = client.post(
        "/new/",
        {
            "title": "VPN\x00down",
            "description": "x",
            "urgency": "medium",
            "email": "ann@example.com",
            "name": "Ann",
        },
    )
    assert response.status_code == 400
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"title": "a\\u0000b", "description": "d"}',
        b'{"title": "a", "description": "d", "affected": "\\u0000"}',
        b'{"title\\u0000": "a", "description": "d"}',  # in a key
        b'{"title": "a\\ud800b", "description": "d"}',  # a lone surrogate
        b'{"title": "a", "description": NaN}',
        b'{"title": "a\xff", "description": "d"}',  # not UTF-8
    ],
)
def test_a_json_body_the_database_cannot_store_is_a_400(api, requester, raw):
    response = api(requester).generic("POST", "/api/tickets/", raw, "application/json")
    assert response.status_code == 400, response.content
    assert response.json()["message"]
    assert not Ticket.objects.exists()


# --- item 10: deep and large JSON ------------------------------------------------------------

DEEP = b"[" * 100_000


@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/tickets/", EVENTS_URL])
def test_deeply_nested_json_is_a_400_before_it_is_parsed(api, requester, path):
    client = api(requester) if path == "/api/tickets/" else APIClient()
    response = client.generic("POST", path, DEEP, "application/json")
    assert response.status_code == 400, response.content
    nested = b'{"a": ' * 40 + b"1" + b"}" * 40  # valid JSON, 40 levels
    assert client.generic("POST", path, nested, "application/json").status_code == 400


def test_deep_json_to_the_alertmanager_webhook_is_a_400(alertmanager, post_alerts):
    assert post_alerts(alertmanager.token, None, raw=DEEP).status_code == 400


def test_brackets_inside_strings_do_not_count_as_nesting(api, requester):
    body = json.dumps({"title": "[" * 5000, "description": '{"[\\"' * 500}).encode()
    response = api(requester).generic("POST", "/api/tickets/", body, "application/json")
    assert response.status_code == 400  # the title is too long: a validation error, no more
    assert "title" in response.json()["errors"]


def test_an_oversized_json_body_is_a_413(api, requester, settings):
    settings.HELPDESK_JSON_MAX_BYTES = 10_000
    body = json.dumps({"title": "t", "description": "x" * 20_000}).encode()
    response = api(requester).generic("POST", "/api/tickets/", body, "application/json")
    assert response.status_code == 413
    assert response.json()["message"]


@pytest.mark.parametrize("path", ["/api/tickets/", "/api/auth/token/"])
def test_a_body_over_the_upload_limit_is_a_413_with_a_message(api, requester, settings, path):
    # Past DATA_UPLOAD_MAX_MEMORY_SIZE it was Django's bare English HTML "Bad Request (400)",
    # even to an API client, where a JSON body a little smaller got a 413 and a message.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000
    settings.HELPDESK_JSON_MAX_BYTES = 50_000
    body = json.dumps({"title": "t", "description": "x" * 20_000}).encode()
    client = api(requester) if path == "/api/tickets/" else APIClient()

    response = client.generic("POST", path, body, "application/json", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 413
    assert response.json() == {"message": "El cuerpo de la petición ocupa más de 5000 bytes."}
    assert not Ticket.objects.exists()


def test_a_form_over_the_upload_limit_is_a_page_that_says_so(client, requester, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000
    client.force_login(requester)

    response = client.post("/new/", {"title": "t", "description": "x" * 20_000, "urgency": "low"})

    assert response.status_code == 413
    assert "The body is larger than 5000 bytes." in response.content.decode()
    assert "Go back to keep what you wrote" in response.content.decode()
    assert not Ticket.objects.exists()


# --- item 11: dates at the ends of the calendar ------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"start": "9999-12-31"},
        {"end": "0001-01-01"},
        {"start": "0001-01-01", "end": "9999-12-31"},
    ],
)
def test_the_csat_report_refuses_dates_out_of_range(client, manager, query):
    client.force_login(manager)
    response = client.get("/csat/", query)
    assert response.status_code == 400
    assert "Enter a date between" in response.content.decode()


@pytest.mark.parametrize(
    ("start", "end"), [("9999-12-31", "9999-12-31"), ("0001-01-01", "0001-01-02")]
)
def test_the_sla_dashboard_refuses_dates_out_of_range(client, api, manager, start, end):
    query = {"period": "custom", "start": start, "end": end}
    client.force_login(manager)
    page = client.get("/reports/sla/", query)  # the page shows its form's errors, no figures
    assert page.status_code == 400
    assert "Enter a date between" in page.content.decode()
    assert client.get("/reports/sla/export.csv", {**query, "figure": "created"}).status_code == 400
    response = api(manager).get("/api/reports/dashboard/", query)
    assert response.status_code == 400
    assert response.json()["message"]


# --- item 12: monitoring payloads the database cannot store ----------------------------------


def test_a_nul_in_an_alertmanager_label_is_a_permanent_400(alertmanager, post_alerts):
    body = payload("alertmanager_firing")
    body["alerts"][0]["labels"]["instance\x00"] = "db-1"
    response = post_alerts(alertmanager.token, body)
    assert response.status_code == 400, response.content
    assert "Retry-After" not in response
    assert not Ticket.objects.exists()


def test_a_nul_in_events_custom_details_is_a_permanent_400(events, post_event):
    body = payload("events_trigger")
    body["payload"]["custom_details"]["mount"] = "/var/\x00lib"
    response = post_event(events.token, body)
    assert response.status_code == 400, response.content
    assert "Retry-After" not in response
    assert not Ticket.objects.exists()


def test_a_value_the_database_refuses_is_a_400_and_an_outage_still_a_503(
    api, requester, monkeypatch
):
    from django.db import OperationalError

    from tickets import services

    def refuse(**kwargs):
        raise DataError("value out of range")

    monkeypatch.setattr(services, "ticket_create", refuse)
    body = {"title": "t", "description": "d"}
    response = api(requester).post("/api/tickets/", body, format="json")
    assert response.status_code == 400
    assert "Retry-After" not in response

    def outage(**kwargs):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(services, "ticket_create", outage)
    response = api(requester).post("/api/tickets/", body, format="json")
    assert response.status_code == 503
    assert response["Retry-After"]


# --- Cache-Control ---------------------------------------------------------------------------


def test_every_api_answer_is_no_store(api, requester, make_ticket):
    ticket = make_ticket()
    client = api(requester)
    for response in (
        client.get("/api/tickets/"),
        client.get(f"/api/tickets/{ticket.pk}/"),
        client.get("/api/tickets/999999/"),  # errors too
        client.get("/api/no-such-thing/"),
        APIClient().get("/api/tickets/"),
        APIClient().post(
            "/api/auth/token/", {"username": "requester", "password": "x"}, format="json"
        ),
    ):
        assert "no-store" in response["Cache-Control"], response.request["PATH_INFO"]


# --- every date and date-time input, at the ends of the calendar -------------------------------

EXTREMES = ("9999-12-31T23:59:59-14:00", "9999-12-31 23:59", "0001-01-01T00:00:00+14:00")
DATE_FIELDS = (
    "aware_at",
    "detected_at",
    "notified_at",
    "communicated_at",
    "starts_at",
    "ends_at",
    "next_update_due_at",
    "at",
)
# (persona, address, JSON?) of every write or query that takes a date and time.
DATE_INPUTS = (
    ("security_officer", "/breaches/new/", False),
    ("security_officer", "/breaches/{breach}/edit/", False),
    ("security_officer", "/breaches/{breach}/actions/notify/", False),
    ("security_officer", "/breaches/{breach}/actions/subjects_communication/", False),
    ("security_officer", "/api/breaches/", True),
    ("security_officer", "/api/breaches/{breach}/notify-authority/", True),
    ("security_officer", "/api/breaches/{breach}/subjects-communication/", True),
    ("manager", "/escalation/rota/new/", False),
    ("manager", "/api/escalation/shifts/", True),
    ("agent_l2", "/escalation/tickets/{ticket}/calls/", False),
    ("agent_l2", "/api/tickets/{ticket}/calls/", True),
    ("agent_l2", "/api/calls/{call}/reschedule/", True),
    ("agent_l1", "/api/major-incidents/{incident}/updates/", True),
    ("agent_l1", "/incidents/{incident}/update/", False),
)


@pytest.mark.parametrize("extreme", EXTREMES)
def test_no_date_input_overflows(world, api, extreme):
    users, ids = world
    problems = []
    for persona, address, as_json in DATE_INPUTS:
        url = address.format(**ids)
        data = {
            **dict.fromkeys(DATE_FIELDS, extreme),
            "title": "t",
            "description": "d",
            "reference": "R-1",
            "medium": "phone",
            "link_or_number": "+34 600 000 000",
            "duration_minutes": 30,
            "message": "m",
            "status": "identified",
            "channel": "email",
            "tier": 3,
            "agent": users["agent_l3"].pk,
        }
        if as_json:
            response = api(users[persona]).post(url, data, format="json")
        else:
            client = Client()
            client.force_login(users[persona])
            response = client.post(url, data)
        # The API refuses with a 400; a page shows the form's error (200) or a message (302).
        if response.status_code >= 500 or (as_json and response.status_code != 400):
            problems.append(f"{url}: {response.status_code}")
    api_get = api(users["agent_l1"]).get("/api/escalation/shifts/now/", {"at": extreme})
    if api_get.status_code != 400:
        problems.append(f"/api/escalation/shifts/now/: {api_get.status_code}")
    assert not problems, problems
    # Nothing was stored with such a date.
    out_of_range = Q(year__lt=2000) | Q(year__gt=2099)
    for model, field in (
        (Breach, "aware_at"),
        (Breach, "detected_at"),
        (AuthorityNotification, "notified_at"),
        (OnCallShift, "starts_at"),
        (OnCallShift, "ends_at"),
        (ScheduledCall, "starts_at"),
        (MajorIncident, "next_update_due_at"),
    ):
        stored = model.objects.annotate(year=ExtractYear(field)).filter(out_of_range)
        assert not stored.exists(), (model.__name__, field)
