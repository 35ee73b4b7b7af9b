"""The API answers what its OpenAPI schema says, for every operation and persona.

Schemathesis generates requests from `/api/schema/` and sends them in-process (WSGI) with real
tokens of a requester, an L1 agent and a manager. Every response must be a documented status,
never a 5xx, with a body that matches the schema. Excluded operations: see EXCLUDED.
"""

import pytest

from accounts.services import api_token_create
from tests.security import schemathesis_run
from tickets.models import Status


@pytest.mark.django_db
def test_every_operation_answers_what_the_schema_documents(
    requester, agent_l1, manager, make_ticket, settings
):
    # The throttles would turn the run into 429s; they are tested in test_hardening.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": [],
    }
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    tokens = {
        "requester": api_token_create(user=requester),
        "agent_l1": api_token_create(user=agent_l1),
        "manager": api_token_create(user=manager),
    }
    summary = schemathesis_run.run(
        tokens=tokens,
        known_ids={"/api/tickets/": {"id": ticket.pk, "ticket_id": ticket.pk}},
        max_examples=5,
    )
    print(schemathesis_run.report(summary))
    assert summary.operations >= 80
    assert not summary.failures, schemathesis_run.report(summary)


# What the run found, pinned as plain tests.


@pytest.mark.django_db
def test_a_nul_byte_in_the_query_string_is_a_400_not_a_database_error(api, manager, requester):
    from django.test import Client

    response = api(manager).get("/api/breaches/", {"q": "a\x00b"})
    assert response.status_code == 400
    assert response.json()["message"]
    client = Client()
    client.force_login(requester)
    assert client.get("/my/", {"q": "\x00"}).status_code == 400
    assert api(manager).get("/api/breaches/", {"q": "ab"}).status_code == 200


@pytest.mark.django_db
def test_an_unknown_api_address_answers_json(api, agent_l1, requester):
    from django.test import Client

    response = api(agent_l1).get("/api/kb/similar/-1/")  # <int:…> does not match
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": "Not found."}
    page = Client().get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
