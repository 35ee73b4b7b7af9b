"""Issue 21 item 2: no lost update. A reply written against an old version of the ticket is held
back, with what changed, until the author confirms (tickets/collisions.py)."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from tests.factories import AgentFactory
from tickets import services
from tickets.collisions import TicketChangedError, TicketVersion, ticket_version
from tickets.models import Comment, EventKind, Status, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague():
    return AgentFactory(username="colleague", display_name="Ana Díaz")


def reply(client: Client, ticket, body: str, version: str, **extra):
    return client.post(
        f"/tickets/{ticket.pk}/reply/",
        {"reply-body": body, "reply-version": version, **extra},
    )


# --- the version ------------------------------------------------------------------------------


def test_version_round_trips_and_refuses_anything_else():
    version = TicketVersion(12, 40)
    assert str(version) == "12-40"
    assert version.etag == '"12-40"'
    assert TicketVersion.parse("12-40") == version
    assert TicketVersion.parse('"12-40"') == version
    assert TicketVersion.parse('W/"12-40"') == version
    for bad in ("", "12", "12-", "a-b", "-1-2", "1-2-3", "9" * 19 + "-1"):
        with pytest.raises(ValueError):
            TicketVersion.parse(bad)


def test_a_requesters_version_ignores_internal_notes(make_ticket, requester, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    before = ticket_version(ticket=ticket, user=requester)
    services.comment_create(ticket=ticket, actor=agent_l1, body="Team only", is_internal=True)
    services.ticket_update(ticket=ticket, actor=agent_l1, title="VPN down on floor 2", reason="")
    assert ticket_version(ticket=ticket, user=requester) == before  # nothing they can see
    assert ticket_version(ticket=ticket, user=agent_l1) > before


# --- the service ------------------------------------------------------------------------------


def test_a_stale_reply_saves_nothing_and_says_what_changed(make_ticket, agent_l1, colleague):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    seen = ticket_version(ticket=ticket, user=agent_l1)
    answer = services.comment_create(ticket=ticket, actor=colleague, body="Restarted the VPN")
    held = services.ticket_hold(ticket=ticket, actor=colleague, reason="Asked for logs")

    with pytest.raises(TicketChangedError) as refused:
        services.comment_create(
            ticket=ticket, actor=agent_l1, body="Please restart", expected_version=seen
        )

    assert not Comment.objects.filter(body="Please restart").exists()
    assert refused.value.comments == [answer]
    assert [event.transition for event in refused.value.events] == ["hold"]
    assert refused.value.version == ticket_version(ticket=ticket, user=agent_l1)
    assert refused.value.status_code == 409
    del held

    # "Send anyway": the version the refusal gave.
    sent = services.comment_create(
        ticket=ticket,
        actor=agent_l1,
        body="Please restart",
        expected_version=refused.value.version,
    )
    assert Comment.objects.filter(body="Please restart").get() == sent


def test_the_authors_own_writes_and_sla_warnings_are_not_news(make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    seen = ticket_version(ticket=ticket, user=agent_l1)
    services.comment_create(ticket=ticket, actor=agent_l1, body="From my other tab")
    services.ticket_hold(ticket=ticket, actor=agent_l1, reason="Waiting")
    TicketEvent.objects.create(ticket=ticket, actor=None, kind=EventKind.SLA, reason="75 %")

    services.comment_create(ticket=ticket, actor=agent_l1, body="Fine", expected_version=seen)


def test_a_system_change_is_news(make_ticket, agent_l1):
    ticket = make_ticket(Status.ON_HOLD)
    seen = ticket_version(ticket=ticket, user=agent_l1)
    services.ticket_resume(ticket=ticket, actor=None, reason="The call is due")

    with pytest.raises(TicketChangedError) as refused:
        services.comment_create(ticket=ticket, actor=agent_l1, body="Hi", expected_version=seen)
    assert [(e.transition, e.actor) for e in refused.value.events] == [("resume", None)]


def test_a_requester_is_not_told_about_internal_notes(make_ticket, requester, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    seen = ticket_version(ticket=ticket, user=requester)
    services.comment_create(ticket=ticket, actor=agent_l1, body="Team only", is_internal=True)
    # An internal note changes nothing the requester can read: their reply goes through.
    services.comment_create(ticket=ticket, actor=requester, body="Any news?", expected_version=seen)

    seen = ticket_version(ticket=ticket, user=requester)
    services.comment_create(ticket=ticket, actor=agent_l1, body="Another note", is_internal=True)
    public = services.comment_create(ticket=ticket, actor=agent_l1, body="Working on it")
    with pytest.raises(TicketChangedError) as refused:
        services.comment_create(ticket=ticket, actor=requester, body="Ok", expected_version=seen)
    assert refused.value.comments == [public]


# --- the agent's page -------------------------------------------------------------------------


def test_the_reply_form_carries_the_version_of_what_the_page_shows(
    make_ticket, agent_l1, client_for
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.comment_create(ticket=ticket, actor=agent_l1, body="Note", is_internal=True)
    page = client_for(agent_l1).get(f"/tickets/{ticket.pk}/")
    version = ticket_version(ticket=ticket, user=agent_l1)
    assert page.context["reply_version"] == version
    assert f'name="reply-version" value="{version}"' in page.content.decode()


def test_stale_reply_shows_what_changed_then_confirm_sends_once(
    make_ticket, agent_l1, colleague, client_for
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    me = client_for(agent_l1)
    opened = me.get(f"/tickets/{ticket.pk}/").context["reply_version"]
    services.comment_create(ticket=ticket, actor=colleague, body="I restarted the gateway")
    services.comment_create(ticket=ticket, actor=colleague, body="Logs attached", is_internal=True)

    refused = reply(me, ticket, "Please restart the gateway", str(opened))

    body = refused.content.decode()
    assert refused.status_code == 409
    assert not Comment.objects.filter(body="Please restart the gateway").exists()
    assert 'data-testid="changed-since"' in body
    assert "This ticket changed since you opened it" in body
    assert "I restarted the gateway" in body and "Logs attached" in body
    assert "added an internal note" in body
    assert ">Please restart the gateway</textarea>" in body  # the text is kept
    assert "Send anyway" in body
    new_version = refused.context["reply_version"]
    assert new_version == ticket_version(ticket=ticket, user=agent_l1)
    assert f'name="reply-version" value="{new_version}"' in body

    sent = reply(me, ticket, "Please restart the gateway", str(new_version))
    assert sent.status_code == 302
    assert Comment.objects.filter(body="Please restart the gateway").count() == 1


def test_a_reply_on_a_fresh_page_goes_straight_through(make_ticket, agent_l1, client_for):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    me = client_for(agent_l1)
    version = me.get(f"/tickets/{ticket.pk}/").context["reply_version"]
    assert reply(me, ticket, "On it", str(version)).status_code == 302
    assert Comment.objects.filter(body="On it").count() == 1


def test_the_refusal_in_spanish_and_the_dropped_files(make_ticket, agent_l1, colleague, client_for):
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    me = client_for(agent_l1)
    opened = me.get(f"/tickets/{ticket.pk}/").context["reply_version"]
    services.ticket_hold(ticket=ticket, actor=colleague, reason="Esperando el registro")

    refused = reply(
        me,
        ticket,
        "Adjunto el registro",
        str(opened),
        **{"reply-attachments": SimpleUploadedFile("log.txt", b"x", content_type="text/plain")},
    )

    body = refused.content.decode()
    assert refused.status_code == 409
    assert "Este ticket ha cambiado desde que lo abrió" in body
    assert "Sus archivos no se han subido" in body
    assert "Enviar de todos modos" in body
    assert "Ana Díaz" in body and "Esperando el registro" in body
    assert not Comment.objects.filter(body="Adjunto el registro").exists()


def test_a_tampered_version_is_a_form_error(make_ticket, agent_l1, client_for):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    response = reply(client_for(agent_l1), ticket, "Hello", "not-a-version")
    assert response.status_code == 400
    assert "The ticket version is not valid" in response.content.decode()
    assert not Comment.objects.filter(body="Hello").exists()


def test_a_form_without_a_version_is_not_checked(make_ticket, agent_l1, colleague, client_for):
    """Forms rendered before this change (and the requester's form) carry no version."""
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.comment_create(ticket=ticket, actor=colleague, body="Earlier")
    response = client_for(agent_l1).post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "Hi"})
    assert response.status_code == 302


def test_the_requesters_page_is_unchanged(make_ticket, requester, agent_l1, client_for):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    page = client_for(requester).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "reply-version" not in page
    services.comment_create(ticket=ticket, actor=agent_l1, body="Answer")
    # Even a version posted by hand is not checked for a requester's page.
    response = client_for(requester).post(
        f"/tickets/{ticket.pk}/reply/", {"reply-body": "Thanks", "reply-version": "0-0"}
    )
    assert response.status_code == 302


# --- the API ------------------------------------------------------------------------------------


def test_api_etag_then_if_match_409_with_what_changed(make_ticket, agent_l1, colleague, api):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    read = api(agent_l1).get(f"/api/tickets/{ticket.pk}/")
    etag = read["ETag"]
    assert etag == ticket_version(ticket=ticket, user=agent_l1).etag
    services.comment_create(ticket=ticket, actor=colleague, body="Done on my side")

    url = f"/api/tickets/{ticket.pk}/comments/"
    refused = api(agent_l1).post(url, {"body": "Me too"}, format="json", HTTP_IF_MATCH=etag)

    assert refused.status_code == 409
    data = refused.json()
    assert data["message"].startswith("This ticket changed since you opened it")
    assert [c["body"] for c in data["comments"]] == ["Done on my side"]
    assert data["events"] == []
    assert data["version"] == str(ticket_version(ticket=ticket, user=agent_l1))
    assert refused["ETag"] == f'"{data["version"]}"'
    assert not Comment.objects.filter(body="Me too").exists()

    sent = api(agent_l1).post(
        url, {"body": "Me too", "expected_version": data["version"]}, format="json"
    )
    assert sent.status_code == 201
    assert Comment.objects.filter(body="Me too").count() == 1


def test_api_expected_version_field_and_events(make_ticket, agent_l1, colleague, api):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    version = str(ticket_version(ticket=ticket, user=agent_l1))
    services.ticket_hold(ticket=ticket, actor=colleague, reason="Waiting for logs")
    refused = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/comments/",
        {"body": "Hi", "expected_version": version},
        format="json",
    )
    assert refused.status_code == 409
    [event] = refused.json()["events"]
    assert event["transition"] == "hold"
    assert event["actor"]["id"] == colleague.pk


def test_api_requester_409_never_lists_internal_notes(make_ticket, requester, agent_l1, api):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    etag = api(requester).get(f"/api/tickets/{ticket.pk}/")["ETag"]
    services.comment_create(ticket=ticket, actor=agent_l1, body="Secret", is_internal=True)
    services.comment_create(ticket=ticket, actor=agent_l1, body="Public answer")
    refused = api(requester).post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": "Ok"}, format="json", HTTP_IF_MATCH=etag
    )
    assert refused.status_code == 409
    assert "Secret" not in refused.content.decode()
    assert [c["body"] for c in refused.json()["comments"]] == ["Public answer"]


@pytest.mark.parametrize(
    "header, field, code",
    [("*", "", 201), ("", "", 201), ('"nonsense"', "", 400), ("", "1-x", 400)],
)
def test_api_opt_in_and_bad_versions(header, field, code, make_ticket, agent_l1, colleague, api):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.comment_create(ticket=ticket, actor=colleague, body="Earlier")
    extra = {"HTTP_IF_MATCH": header} if header else {}
    response = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/comments/",
        {"body": "Hi", "expected_version": field},
        format="json",
        **extra,
    )
    assert response.status_code == code
    if code == 400:
        assert response.json()["errors"] == {"expected_version": [response.json()["message"]]}
        assert not Comment.objects.filter(body="Hi").exists()


# --- two agents at the same instant ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_replies_on_the_same_version_at_once_one_is_held_back(make_ticket, agent_l1):
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    other = AgentFactory(username="other_l1")
    seen = ticket_version(ticket=ticket, user=agent_l1)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def post(actor, body: str) -> None:
        try:
            start.wait()
            services.comment_create(ticket=ticket, actor=actor, body=body, expected_version=seen)
            outcomes.append("sent")
        except TicketChangedError:
            outcomes.append("held")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=post, args=(agent_l1, "first")),
        threading.Thread(target=post, args=(other, "second")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["held", "sent"]
    assert Comment.objects.filter(ticket=ticket).count() == 1
