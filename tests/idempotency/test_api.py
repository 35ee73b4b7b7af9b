"""Issue 16, item 2: the API's POSTs honour an `Idempotency-Key` header."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from idempotency.models import IdempotencyKey, KeyKind, KeyState
from idempotency.services import idempotency_keys_purge
from idempotency.tasks import purge_expired_keys
from tickets.models import Comment, Status

pytestmark = pytest.mark.django_db


def _comment(client, ticket, body="Hello", key="k-1", **extra):
    return client.post(
        f"/api/tickets/{ticket.pk}/comments/",
        {"body": body},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
        **extra,
    )


def test_the_same_key_replays_the_first_answer(requester, make_ticket, api):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = api(requester)

    first = _comment(client, ticket)
    again = _comment(client, ticket)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Comment.objects.filter(ticket=ticket, body="Hello").count() == 1


def test_the_same_key_with_another_body_is_422(requester, make_ticket, api):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = api(requester)
    _comment(client, ticket)

    response = _comment(client, ticket, body="Something else")

    assert response.status_code == 422
    assert "different request" in response.json()["message"]
    assert Comment.objects.filter(ticket=ticket).count() == 1


def test_a_json_body_is_compared_by_its_content_not_its_spacing(requester, make_ticket, api):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = api(requester)
    url = f"/api/tickets/{ticket.pk}/comments/"
    first = client.post(
        url,
        '{"body": "x", "is_internal": false}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="spacing",
    )
    again = client.post(
        url,
        '{"is_internal":false,"body":"x"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="spacing",
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"


def test_keys_are_per_user(requester, agent_l1, make_ticket, api):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    assert _comment(api(requester), ticket).status_code == 201
    theirs = _comment(api(agent_l1), ticket)
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert Comment.objects.filter(ticket=ticket, body="Hello").count() == 2


def test_without_the_header_every_post_counts(requester, make_ticket, api):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = api(requester)
    for _ in range(2):
        client.post(f"/api/tickets/{ticket.pk}/comments/", {"body": "Hi"}, format="json")
    assert Comment.objects.filter(ticket=ticket, body="Hi").count() == 2
    assert not IdempotencyKey.objects.exists()


def test_an_answer_worth_retrying_is_not_kept(requester, make_ticket, api):
    """A 409 of a transition is kept (replayed); a 403 is not, so the retry runs again."""
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = api(requester)
    refused = client.post(
        f"/api/tickets/{ticket.pk}/escalate/",
        {"reason": "x"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="forbidden",
    )
    assert refused.status_code == 403
    assert not IdempotencyKey.objects.filter(key="forbidden").exists()


def test_a_server_error_frees_the_key(requester, make_ticket, api, monkeypatch):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = api(requester)
    client.raise_request_exception = False

    def broken(**kwargs):
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as patch:
        patch.setattr("tickets.services.comment_create", broken)
        assert _comment(client, ticket, key="boom").status_code == 500
    assert not IdempotencyKey.objects.filter(key="boom").exists()
    retried = _comment(client, ticket, key="boom")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried


def test_a_duplicate_of_a_request_still_running_gets_409(requester, make_ticket, api, settings):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = api(requester)
    _comment(client, ticket, key="running")
    IdempotencyKey.objects.filter(key="running").update(state=KeyState.PROCESSING)

    response = _comment(client, ticket, key="running")

    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert Comment.objects.filter(ticket=ticket, body="Hello").count() == 1


def test_a_request_that_died_half_way_is_taken_over(requester, make_ticket, api, settings):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = api(requester)
    _comment(client, ticket, key="dead", body="First")
    Comment.objects.filter(body="First").delete()  # as if the worker died before committing
    IdempotencyKey.objects.filter(key="dead").update(
        state=KeyState.PROCESSING,
        updated_at=timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS + 1),
    )

    response = _comment(client, ticket, key="dead", body="First")

    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Comment.objects.filter(ticket=ticket, body="First").count() == 1


def test_a_bad_header_is_400(requester, make_ticket, api):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    response = _comment(api(requester), ticket, key="x" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["message"]


def test_keys_expire_after_a_day_and_the_task_forgets_them(requester, make_ticket, api):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = api(requester)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _comment(client, ticket, key="old")
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        # Expired but not purged yet: the key is forgotten, the request runs again.
        response = _comment(client, ticket, key="old")
        assert response.status_code == 201 and "Idempotent-Replayed" not in response
    with time_machine.travel(start + timedelta(hours=50), tick=False):
        assert purge_expired_keys() == 1
    assert not IdempotencyKey.objects.filter(kind=KeyKind.API).exists()
    assert idempotency_keys_purge(now=start) == 0


def test_the_schema_documents_the_header(api, agent_l1):
    schema = api(agent_l1).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    post = schema["paths"]["/api/tickets/{id}/comments/"]["post"]
    names = [p["name"] for p in post["parameters"]]
    assert "Idempotency-Key" in names
    assert "422" in post["responses"]
    assert all(
        "Idempotency-Key" in [p["name"] for p in item["post"].get("parameters", [])]
        for path, item in schema["paths"].items()
        if "post" in item
    )


def test_a_browser_session_without_csrf_is_still_refused_as_before(requester, make_ticket):
    """The header never changes what the view decides: a session POST without its CSRF token
    is refused by the view, and nothing is kept."""
    from django.test import Client

    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)
    response = client.post(
        f"/api/tickets/{ticket.pk}/comments/",
        {"body": "x"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="csrf",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]
    assert not IdempotencyKey.objects.exists()
