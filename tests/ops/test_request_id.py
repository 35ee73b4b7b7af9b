"""The request id: taken from X-Request-ID or made up, returned, written into every log line
(JSON when asked), carried into Celery tasks and outbox rows, so one id follows a ticket from
its creation to the email a worker sends about it."""

import io
import json
import logging
import re
import threading
from collections.abc import Iterator

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import resolve

from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.tasks import flush_outbox
from ops import requestid
from ops.logs import JsonFormatter, RequestContextFilter
from ops.middleware import RequestIdMiddleware
from tests.faults.conftest import SOLO_WORKER, celery_env, celery_process, poll

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What the console handler writes with HELPDESK_LOG_FORMAT=json, captured."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    # Only this test's records: a live server left by a browser test on this worker may still
    # log its pages' polls from its own thread (seen in a full run).
    test_thread = threading.get_ident()
    handler.addFilter(lambda record: record.thread == test_thread)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


# --- the header ----------------------------------------------------------------------------------


def test_a_plain_request_id_is_kept_and_returned():
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a:42/abc_DEF.1")
    assert response["X-Request-ID"] == "lb-7f3a:42/abc_DEF.1"


@pytest.mark.parametrize(
    "sent",
    ["", "x" * 129, "has space", 'quote"d', "new\nline", "café", "-leading-dash", "<script>"],
)
def test_an_unacceptable_request_id_is_replaced_by_a_fresh_one(sent):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=sent)
    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_the_longest_accepted_id_is_128_characters():
    assert Client().get("/healthz", HTTP_X_REQUEST_ID="a" * 128)["X-Request-ID"] == "a" * 128


def test_without_the_header_each_request_gets_its_own_id():
    ids = {Client().get("/healthz")["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3 and all(GENERATED.fullmatch(value) for value in ids)


# --- the log lines -------------------------------------------------------------------------------


def test_a_json_log_line_has_time_level_logger_message_request_id_user_and_route(json_log):
    class Agent:
        pk = 7
        is_authenticated = True

    def view(request):
        request.resolver_match = resolve("/api/tickets/1/")
        request.user = Agent()
        logging.getLogger("tickets.views").warning("ticket %s: %s", 1, "multi\nline")
        return HttpResponse()

    request = RequestFactory().get("/api/tickets/1/", HTTP_X_REQUEST_ID="req-123")
    RequestIdMiddleware(view)(request)
    (entry,) = lines(json_log)
    assert entry.pop("time").endswith("+00:00")
    assert entry == {
        "level": "WARNING",
        "logger": "tickets.views",
        "message": "ticket 1: multi\nline",
        "request_id": "req-123",
        "user_id": 7,
        "route": "ticket-detail",
    }
    assert len(json_log.getvalue().splitlines()) == 1  # one line per record, whatever it holds


@pytest.mark.django_db
def test_the_log_filter_never_loads_a_user_itself(json_log, django_assert_num_queries):
    from django.contrib.auth.middleware import get_user
    from django.utils.functional import SimpleLazyObject

    def view(request):
        request.user = SimpleLazyObject(lambda: get_user(request))  # not loaded yet
        logging.getLogger("x").info("before authentication")
        return HttpResponse()

    with django_assert_num_queries(0):
        RequestIdMiddleware(view)(RequestFactory().get("/"))
    assert lines(json_log)[0]["user_id"] is None


def test_outside_a_request_the_fields_are_null(json_log):
    logging.getLogger("x").error("boom", exc_info=ValueError("bad"))
    (entry,) = lines(json_log)
    assert (entry["request_id"], entry["user_id"], entry["route"]) == (None, None, None)
    assert "ValueError: bad" in entry["exception"]


# --- into tasks and outbox rows ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_tasks_published_during_a_request_carry_its_id_and_so_do_its_outbox_rows(
    broker_on, api, requester
):
    import redis

    response = api(requester).post(
        "/api/tickets/",
        {"title": "Printer on fire", "description": "x"},
        format="json",
        HTTP_X_REQUEST_ID="trace-ticket-1",
    )
    assert response.status_code == 201
    assert response["X-Request-ID"] == "trace-ticket-1"
    row = Notification.objects.get(
        ticket_id=response.json()["id"], kind=NotificationKind.TICKET_CREATED
    )
    assert row.context["request_id"] == "trace-ticket-1"
    messages = [json.loads(raw) for raw in redis.Redis(port=broker_on.port).lrange("celery", 0, -1)]
    delivery = [m for m in messages if m["headers"]["task"].endswith("deliver_notification")]
    assert delivery and all(m["headers"]["request_id"] == "trace-ticket-1" for m in delivery)


@pytest.mark.django_db
def test_the_outbox_sweep_logs_each_email_with_the_id_of_the_request_that_caused_it(
    json_log, api, requester, settings
):
    api(requester).post(
        "/api/tickets/",
        {"title": "Printer on fire", "description": "x"},
        format="json",
        HTTP_X_REQUEST_ID="trace-ticket-2",
    )
    row = Notification.objects.get(kind=NotificationKind.TICKET_CREATED)
    Notification.objects.filter(pk=row.pk).update(created_at=row.created_at.replace(year=2020))
    json_log.truncate(0)
    json_log.seek(0)
    # The beat-run sweep has its own id (its task id); the email keeps the request's.
    with requestid.bound("beat-task-id", route="notifications.tasks.flush_outbox"):
        assert flush_outbox() == 1
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT
    sent = [
        e for e in lines(json_log) if e["message"] == f"notification {row.pk} (ticket_created) sent"
    ]
    assert [(e["request_id"], e["route"]) for e in sent] == [
        ("trace-ticket-2", "notifications.tasks.flush_outbox")
    ]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_one_id_follows_a_ticket_through_the_outbox_to_a_real_workers_email_log(
    broker_on, api, requester, tmp_path
):
    env = celery_env(
        broker_url=broker_on.url,
        var_dir=tmp_path,
        HELPDESK_LOG_FORMAT="json",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
    )
    log = tmp_path / "worker.log"
    with celery_process(SOLO_WORKER, env=env, log=log):
        response = api(requester).post(
            "/api/tickets/",
            {"title": "Printer on fire", "description": "x"},
            format="json",
            HTTP_X_REQUEST_ID="trace-ticket-3",
        )
        assert response.status_code == 201
        row = Notification.objects.get(
            ticket_id=response.json()["id"], kind=NotificationKind.TICKET_CREATED
        )
        poll(
            "the worker to send the acknowledgement",
            lambda: Notification.objects.filter(pk=row.pk, status=DeliveryStatus.SENT).exists(),
        )

        def entries() -> list[dict]:
            text = log.read_text(errors="replace")
            return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

        poll("the worker to log the email", lambda: any("sent" in e["message"] for e in entries()))
    traced = [e for e in entries() if e["request_id"] == "trace-ticket-3"]
    messages = [e["message"] for e in traced]
    assert f"notification {row.pk} (ticket_created) sent" in messages
    assert any("deliver_notification" in m and "succeeded" in m for m in messages), messages
    assert {e["route"] for e in traced} == {"notifications.tasks.deliver_notification"}
