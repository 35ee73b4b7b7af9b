import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from tickets import services
from tickets.models import Comment, Level, Priority, Source, Status, Ticket

pytestmark = pytest.mark.django_db


def test_requester_creates_a_ticket_with_provisional_priority(api, requester):
    response = api(requester).post(
        "/api/tickets/",
        {"title": " Printer on fire ", "description": "Smoke everywhere", "urgency": "high"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] == f"INC-{body['id']:06d}"
    assert (body["title"], body["status"], body["priority"], body["priority_is_provisional"]) == (
        "Printer on fire",
        Status.NEW,
        Priority.P3,
        True,
    )
    assert (body["tier"], body["source"], body["requester"]["id"]) == (1, Source.API, requester.pk)
    ticket = Ticket.objects.get(pk=body["id"])
    assert list(ticket.events.values_list("kind", flat=True)) == ["created"]
    assert Notification.objects.filter(ticket=ticket, recipient=requester).count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"description": "d"}, "title"),
        ({"title": "t"}, "description"),
        ({"title": "t", "description": "d", "urgency": "extreme"}, "urgency"),
        ({"title": "   ", "description": "d"}, "title"),
        # Invisible alone (zero-width space, direction mark, BOM): listed as an empty line.
        ({"title": "\u200b\u200e", "description": "d"}, "title"),
        ({"title": "t", "description": " \ufeff "}, "description"),
        ({"title": "x" * 201, "description": "d"}, "title"),
        ({"title": "t", "description": "d", "category": 987654}, "category"),
    ],
)
def test_create_with_bad_input_is_a_400_naming_the_field(payload, field, api, requester):
    response = api(requester).post("/api/tickets/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["message"]
    assert not Ticket.objects.exists()


def test_malformed_json_is_a_400(api, requester):
    response = api(requester).post(
        "/api/tickets/", data="{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["message"]


def test_agent_logs_a_phone_call_for_a_new_requester(api, agent_l1):
    response = api(agent_l1).post(
        "/api/tickets/",
        {"title": "t", "description": "d", "requester_email": "New.Person@Example.com"},
        format="json",
    )

    assert response.status_code == 201
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.requester.email == "new.person@example.com"
    assert ticket.source == Source.PHONE
    assert not ticket.requester.has_usable_password()


def test_manager_cannot_open_tickets(api, manager):
    response = api(manager).post("/api/tickets/", {"title": "t", "description": "d"}, format="json")

    assert response.status_code == 403


def test_unauthenticated_is_a_401_json(api):
    response = api(None).post("/api/tickets/", {"title": "t"}, format="json")

    assert response.status_code == 401
    assert response.json()["message"]


def test_token_auth_round_trip(api, requester):
    bad = api(None).post(
        "/api/auth/token/", {"username": "requester", "password": "nope"}, format="json"
    )
    good = api(None).post(
        "/api/auth/token/", {"username": "requester", "password": "secret-pass-123"}, format="json"
    )
    client = api(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {good.json()['token']}")

    assert bad.status_code == 400
    assert client.get("/api/me/").json()["username"] == "requester"


def test_list_filters(make_ticket, api, agent_l1, agent_l2, category):
    new = make_ticket(Status.NEW, title="Mail bounces")
    diag = make_ticket(Status.IN_DIAGNOSIS, title="VPN drops")
    escalated = make_ticket(Status.ESCALATED, title="Database slow")

    def ids(query: str) -> list[int]:
        response = api(agent_l1).get(f"/api/tickets/?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("") == [escalated.pk, diag.pk, new.pk]
    assert ids("status=new") == [new.pk]
    assert ids("status=new,escalated") == [escalated.pk, new.pk]
    assert ids("tier=2") == [escalated.pk]
    assert ids("assignee=me") == [diag.pk]
    assert ids("assignee=none") == [escalated.pk, new.pk]
    assert ids(f"category={category.pk}") == [escalated.pk, diag.pk]
    assert ids("priority=3") == [escalated.pk, diag.pk]
    assert ids("q=vpn") == [diag.pk]
    assert ids(f"q=INC-{new.pk:06d}") == [new.pk]
    assert ids("kind=service_request") == []


def test_a_requester_cannot_learn_who_holds_their_ticket_by_filtering(
    make_ticket, api, requester, agent_l1
):
    # The answer never names the assignee, but the filter did: their ticket came back for the
    # agent holding it and not for another id, nor for "none".
    held = make_ticket(Status.IN_DIAGNOSIS)  # taken by agent_l1
    waiting = make_ticket(Status.NEW)

    def ids(query: str) -> list[int]:
        response = api(requester).get(f"/api/tickets/?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    everything = [waiting.pk, held.pk]
    assert ids(f"assignee={agent_l1.pk}") == everything
    assert ids(f"assignee={agent_l1.pk + 1000}") == everything
    assert ids("assignee=none") == everything
    assert ids("assignee=me") == everything


def test_list_bad_filter_is_a_400(api, agent_l1):
    response = api(agent_l1).get("/api/tickets/?tier=two")

    assert response.status_code == 400
    assert "tier" in response.json()["errors"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=in-progress", "status"), ("status=new,Resolved", "status"), ("kind=request", "kind")],
)
def test_a_filter_value_that_names_no_state_or_kind_is_a_400(api, requester, query, field):
    # It was a 200 with no rows: a typo read as "you have no such tickets".
    response = api(requester).get(f"/api/tickets/?{query}", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert "no es ninguno de" in response.json()["message"]


def test_cursor_pagination_walks_every_ticket_once(api, requester):
    for n in range(7):
        services.ticket_create(requester=requester, title=f"t{n}", description="d")
    seen: list[int] = []
    url = "/api/tickets/?page_size=3"
    while url:
        body = api(requester).get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]

    assert seen == sorted(Ticket.objects.values_list("pk", flat=True), reverse=True)


def _count_list_queries(client, page_size: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/tickets/?page_size={page_size}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(ctx.captured_queries)


def test_list_query_count_is_pinned_and_independent_of_page_size(make_ticket, api, agent_l2):
    for _ in range(12):
        make_ticket(Status.ESCALATED)
    client = api(agent_l2)

    # 1 the token with its user, 2 the agent's tiers (support groups), 3 the page of tickets
    # joined with requester, assignee and category (+ parent), 4 the page's SLA clocks.
    assert _count_list_queries(client, 2) == 4
    assert _count_list_queries(client, 12) == 4


def test_detail_query_count_is_pinned(make_ticket, api, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = api(agent_l1)

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/tickets/{ticket.pk}/")

    assert response.status_code == 200
    # 1 token + user, 2 the agent's tiers, 3 the ticket with requester, assignee, category,
    # parent and organisation, 4 its SLA clocks, 5 its OLA clocks (staff only), 6 its version
    # for the ETag (the newest comment and event: tickets/collisions.py).
    assert len(ctx.captured_queries) == 6
    assert response.json()["allowed_transitions"] == [
        "escalate",
        "reassign",
        "hold",
        "resolve",
        "cancel",
        "merge",
    ]


def test_comments_query_count_is_independent_of_their_number(make_ticket, api, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = api(agent_l1)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/api/tickets/{ticket.pk}/comments/").status_code == 200
        return len(ctx.captured_queries)

    services.comment_create(ticket=ticket, actor=agent_l1, body="one")
    few = count()
    for n in range(5):
        services.comment_create(ticket=ticket, actor=agent_l1, body=f"more {n}")
    # token + user, tiers, ticket, comments with authors, their attachments
    assert few == count() == 5


def test_attachment_with_a_reply(make_ticket, api, requester):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    upload = SimpleUploadedFile("error.log", b"Traceback ...", content_type="text/plain")

    response = api(requester).post(
        f"/api/tickets/{ticket.pk}/comments/",
        {"body": "log attached", "files": [upload]},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["attachments"][0]["filename"] == "error.log"
    assert ticket.attachments.get().size == len(b"Traceback ...")


def test_a_reply_that_is_only_a_file_is_accepted_as_on_the_page(make_ticket, api, requester):
    # The page takes a screenshot without text: the API answered "This field is required.".
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    upload = SimpleUploadedFile("error.log", b"Traceback ...", content_type="text/plain")

    response = api(requester).post(
        f"/api/tickets/{ticket.pk}/comments/", {"files": [upload]}, format="multipart"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["body"] == ""
    assert response.json()["attachments"][0]["filename"] == "error.log"

    empty = api(requester).post(f"/api/tickets/{ticket.pk}/comments/", {"body": " "})
    assert empty.status_code == 400
    assert "Write a message or attach a file." in str(empty.json())
    assert ticket.comments.count() == 1


def test_attachment_of_a_refused_type_is_a_400_and_saves_nothing(make_ticket, api, requester):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    upload = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")

    response = api(requester).post(
        f"/api/tickets/{ticket.pk}/comments/",
        {"body": "see file", "files": [upload]},
        format="multipart",
    )

    assert response.status_code == 400
    assert "exe" in response.json()["message"]
    assert not ticket.comments.exists()


def test_attachment_too_large_is_a_400(make_ticket, api, requester, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    upload = SimpleUploadedFile("big.txt", b"x" * 11, content_type="text/plain")

    response = api(requester).post(
        f"/api/tickets/{ticket.pk}/comments/",
        {"body": "big", "files": [upload]},
        format="multipart",
    )

    assert response.status_code == 400
    assert not ticket.attachments.exists()


def test_categories_are_listed(api, requester, category):
    response = api(requester).get("/api/categories/")

    assert [c["name"] for c in response.json()] == ["Email"]


def test_schema_is_served_and_valid(api, agent_l1):
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    response = api(agent_l1).get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "/api/tickets/{id}/escalate/" in response.json()["paths"]


def test_docs_page_uses_no_cdn(api, agent_l1):
    html = api(agent_l1).get("/api/docs/").content.decode()

    assert "cdn" not in html.lower()
    assert "swagger" in html.lower()


def test_spanish_error_messages(api, requester):
    requester.language = "es"
    requester.save()
    client = api(None)
    client.force_login(requester)

    response = client.post("/api/tickets/", {"title": "t"}, format="json")

    assert response.status_code == 400
    assert "requerido" in str(response.json()["errors"]).lower()


def test_provisional_priority_follows_the_requesters_urgency(api, requester):
    for urgency, expected in [(Level.HIGH, 3), (Level.MEDIUM, 4), (Level.LOW, 5)]:
        body = (
            api(requester)
            .post(
                "/api/tickets/",
                {"title": "t", "description": "d", "urgency": urgency},
                format="json",
            )
            .json()
        )
        assert body["priority"] == expected


def test_a_reply_with_a_field_it_does_not_take_is_refused_not_posted(make_ticket, api, agent_l1):
    # `internal` for is_internal was ignored: the agent's note went out as a public reply,
    # emailed to the requester. Files sent as `attachments` were dropped the same way.
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    url = f"/api/tickets/{ticket.pk}/comments/"
    client = api(agent_l1)

    note = client.post(
        url,
        {"body": "Customer is on the watch list", "internal": True},
        format="json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    files = client.post(
        url, {"body": "Log attached", "attachments": SimpleUploadedFile("vpn.log", b"x")}
    )

    assert note.status_code == 400
    assert note.json()["errors"] == {
        "internal": [
            "«internal» no es un campo de esta petición: lleva body, is_internal, files, "
            "expected_version."
        ]
    }
    assert files.status_code == 400
    assert list(files.json()["errors"]) == ["attachments"]
    assert not Comment.objects.filter(ticket=ticket).exists()
    kept = client.post(url, {"body": "Noted", "is_internal": True}, format="json")
    assert kept.status_code == 201 and kept.json()["is_internal"] is True


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("", {"prio": 1}, "prio"),  # PATCH
        ("hold/", {"reason": "Waiting for the logs", "until": "2026-12-24"}, "until"),
    ],
)
def test_a_change_with_a_misspelt_field_is_a_400_not_a_silent_200(
    make_ticket, api, agent_l1, path, body, field
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = api(agent_l1)
    url = f"/api/tickets/{ticket.pk}/{path}"

    response = (client.patch if not path else client.post)(url, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.IN_DIAGNOSIS, Priority.P3)


@pytest.mark.parametrize(
    ("start", "name"), [(Status.ON_HOLD, "hold"), (Status.IN_DIAGNOSIS, "resume")]
)
def test_a_refused_hold_or_resume_is_a_409_with_a_message(make_ticket, api, agent_l1, start, name):
    ticket = make_ticket(start)

    response = api(agent_l1).post(f"/api/tickets/{ticket.pk}/{name}/", {})

    assert response.status_code == 409
    assert response.json()["message"]


def test_a_comment_on_a_ticket_closed_meanwhile_speaks_to_who_wrote_it(
    make_ticket, api, agent_l1, requester
):
    ticket = make_ticket(Status.CLOSED)  # closed by the requester

    agent = api(agent_l1).post(f"/api/tickets/{ticket.pk}/comments/", {"body": "More"})
    mine = api(requester).post(f"/api/tickets/{ticket.pk}/comments/", {"body": "More"})

    assert agent.status_code == 409
    assert "the requester closed this ticket meanwhile" in agent.json()["message"]
    assert mine.status_code == 400
    assert mine.json()["message"] == "This ticket is closed; please open a new one."


def test_a_comment_of_invisible_characters_alone_is_a_400(api, requester, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = api(requester).post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": "\u200b\u2060"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"]["body"] == ["Write a message or attach a file."]
    assert not Comment.objects.exists()
