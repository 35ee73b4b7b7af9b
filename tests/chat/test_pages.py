"""The managers' chat pages and the admin: forms, errors, permissions, no secret in the HTML."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.crypto import secret_open
from chat.models import ChatChannel, ChatDelivery, ChatEvent, Platform
from escalation.models import Tier
from tests.chat.conftest import SLACK_URL_SECRET
from tickets.models import Status

pytestmark = pytest.mark.django_db

TEAMS_URL = "https://prod.example.logic.azure.com/workflows/abc/triggers/manual?sig=SECRETsigWXYZ"


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def _form(groups, **overrides):
    return {
        "name": "L1 Teams",
        "support_group": groups[Tier.L1].pk,
        "platform": Platform.TEAMS,
        "secret": TEAMS_URL,
        "events": [ChatEvent.HIGH_PRIORITY, ChatEvent.ESCALATED],
        "language": "en",
        "is_enabled": "on",
        **overrides,
    }


def test_a_manager_adds_a_channel_and_never_sees_its_secret_again(login, manager, groups):
    web = login(manager)

    response = web.post("/chat/new/", _form(groups))

    assert response.status_code == 302, response.content.decode()[:2000]
    channel = ChatChannel.objects.get()
    assert secret_open(channel.secret_encrypted) == TEAMS_URL
    for url in ("/chat/", f"/chat/{channel.pk}/"):
        page = web.get(url).content.decode()
        assert "SECRETsig" not in page and "logic.azure.com" not in page
        assert "••••WXYZ" in page


def test_saving_without_a_secret_keeps_it(login, manager, make_channel, groups):
    channel = make_channel(Platform.SLACK)
    web = login(manager)

    response = web.post(
        f"/chat/{channel.pk}/",
        _form(groups, platform=Platform.SLACK, secret="", name="renamed"),
    )

    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "renamed"
    assert secret_open(channel.secret_encrypted).endswith(SLACK_URL_SECRET)


def test_bad_input_is_a_form_error_not_a_500(login, manager, groups):
    web = login(manager)

    response = web.post("/chat/new/", _form(groups, secret="not a url"))

    assert response.status_code == 400
    assert "Enter an http:// or https:// address." in response.content.decode()
    assert "not a url" not in response.content.decode()  # a secret is never echoed
    assert not ChatChannel.objects.exists()


def test_the_spanish_page_is_translated(login, manager, make_channel):
    make_channel(Platform.SLACK)
    manager.language = "es"
    manager.save()
    web = login(manager)
    page = web.get("/chat/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Canales de chat" in page and "Enviar un mensaje de prueba" in page


def test_send_test_and_delete(login, manager, make_channel):
    channel = make_channel(Platform.MATRIX)
    web = login(manager)

    assert web.post(f"/chat/{channel.pk}/test/").status_code == 302
    assert ChatDelivery.objects.filter(channel=channel, event=ChatEvent.TEST).count() == 1
    page = web.get(f"/chat/{channel.pk}/").content.decode()
    assert "Test message" in page

    assert web.post(f"/chat/{channel.pk}/delete/", {"confirm": "1"}).status_code == 302
    assert not ChatChannel.objects.exists()


def test_delete_from_the_list_asks_first_in_the_managers_language(login, manager, make_channel):
    """One click on the list's Delete (next to "Send a test message") deleted the channel and
    its stored webhook URL at once."""
    channel = make_channel(Platform.SLACK)
    web = login(manager)

    answer = web.post(f"/chat/{channel.pk}/delete/")

    assert answer.status_code == 200
    page = answer.content.decode()
    assert channel.name in page and 'name="confirm" value="1"' in page
    assert ChatChannel.objects.filter(pk=channel.pk).exists()
    manager.language = "es"
    manager.save()
    page = web.post(f"/chat/{channel.pk}/delete/").content.decode()
    assert "Eliminar el canal de chat" in page and "plataforma de chat" in page


def test_a_second_click_on_save_or_send_a_test_message_does_it_once(
    login, manager, groups, make_channel
):
    """A double click on Save (a slow answer, a reload of the POST) made two channels, and
    each event was then posted twice to the group's chat; a test message went twice."""
    web = login(manager)
    page = web.get("/chat/new/").content.decode()
    assert 'name="idempotency_key"' in page
    form = {**_form(groups), "idempotency_key": "chat-new-once"}

    first = web.post("/chat/new/", form)
    again = web.post("/chat/new/", form, follow=True)

    assert first.status_code == 302
    assert again.redirect_chain == [("/chat/", 302)]
    assert "This form was already sent: nothing was done twice." in again.content.decode()
    assert ChatChannel.objects.count() == 1

    channel = ChatChannel.objects.get()
    for _click in range(2):
        answer = web.post(f"/chat/{channel.pk}/test/", {"idempotency_key": "chat-test-once"})
        assert answer.status_code == 302
    assert ChatDelivery.objects.filter(channel=channel, event=ChatEvent.TEST).count() == 1


def test_a_channel_deleted_meanwhile_leads_back_to_the_list_saying_so(
    login, manager, make_channel, groups
):
    """A second click on Delete, a test message or a save from a page loaded before the
    channel was deleted showed the site's "We can't find that page … the ticket is not yours
    to see"."""
    channel = make_channel(Platform.SLACK)
    web = login(manager)
    assert web.post(f"/chat/{channel.pk}/delete/", {"confirm": "1"}).status_code == 302

    gone = "This chat channel no longer exists: it was deleted."
    for method, url, data, said in (
        (
            "post",
            f"/chat/{channel.pk}/delete/",
            {"confirm": "1"},
            "The chat channel was already deleted.",
        ),
        ("post", f"/chat/{channel.pk}/delete/", {}, "The chat channel was already deleted."),
        ("post", f"/chat/{channel.pk}/test/", {}, gone),
        ("post", f"/chat/{channel.pk}/", _form(groups), gone),
        ("get", f"/chat/{channel.pk}/", {}, gone),
    ):
        answer = getattr(web, method)(url, data, follow=True)

        assert answer.redirect_chain == [("/chat/", 302)], url
        assert said in answer.content.decode(), url
    assert not ChatChannel.objects.exists() and not ChatDelivery.objects.exists()


@pytest.mark.parametrize("persona", ["agent_l1", "requester"])
def test_only_managers_reach_the_pages(login, make_channel, persona, request):
    channel = make_channel(Platform.SLACK)
    web = login(request.getfixturevalue(persona))
    assert web.get("/chat/").status_code == 403
    assert web.get(f"/chat/{channel.pk}/").status_code == 403
    assert web.post(f"/chat/{channel.pk}/test/").status_code == 403
    assert web.post(f"/chat/{channel.pk}/delete/").status_code == 403
    assert web.post(f"/chat/{channel.pk + 1}/delete/").status_code == 403  # missing: still no
    assert ChatChannel.objects.exists() and not ChatDelivery.objects.exists()


def _count(web, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = web.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_list_and_edit_pages_cost_the_same_with_more_channels_and_rows(
    login, manager, make_channel, make_ticket
):
    web = login(manager)
    first = make_channel(Platform.SLACK, tier=Tier.L2, name="first")
    make_ticket(Status.ESCALATED)
    few = (_count(web, "/chat/"), _count(web, f"/chat/{first.pk}/"))
    for n in range(4):
        make_channel(Platform.TEAMS, tier=Tier.L2, name=f"more {n}")
    make_ticket(Status.ESCALATED)
    make_ticket(Status.ESCALATED)
    # list: session, user, channels with their group and counts (one query), + messages;
    # edit: session, user, channel, groups for the form, recent rows with their tickets.
    assert (_count(web, "/chat/"), _count(web, f"/chat/{first.pk}/")) == few
    assert few[0] <= 4 and few[1] <= 6


def test_the_admin_shows_only_the_hint(client, make_channel):
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    channel = make_channel(Platform.SLACK)
    client.force_login(admin)

    page = client.get(f"/admin/chat/chatchannel/{channel.pk}/change/").content.decode()

    assert "slack-secret" not in page and channel.secret_encrypted not in page
    assert "••••XYZW" in page
    listing = client.get("/admin/chat/chatchannel/").content.decode()
    assert "slack-secret" not in listing


def test_the_delivery_admin_is_view_only(client, make_channel):
    """Every field was read-only, yet the page offered "Save" (and two more save buttons): the
    list and the row stay readable, with no button to submit, and a POST changes nothing."""
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    delivery = ChatDelivery.objects.create(
        channel=make_channel(Platform.SLACK), event=ChatEvent.TEST, event_key="test:1"
    )
    client.force_login(admin)
    url = f"/admin/chat/chatdelivery/{delivery.pk}/change/"

    listing = client.get("/admin/chat/chatdelivery/")
    page = client.get(url)
    post = client.post(url, {"status": "sent", "attempts": "9", "event_key": "changed"})

    assert listing.status_code == 200 and "test:1" in listing.content.decode()
    assert page.status_code == 200
    html = page.content.decode()
    assert "test:1" in html
    content = html[html.index('id="content-main"') :]  # the page's own part: no "Log out"
    assert 'type="submit"' not in content and 'name="_save"' not in content
    assert post.status_code == 403
    delivery.refresh_from_db()
    assert (delivery.event_key, delivery.attempts) == ("test:1", 0)


MATRIX_TOKEN_TYPED = "syt_typed_token_secret_LMNO"


def _matrix(groups, **overrides):
    matrix = {
        "platform": Platform.MATRIX,
        "secret": MATRIX_TOKEN_TYPED,
        "homeserver": "https://matrix.example.org",
        "room_id": "!room:example.org",
    }
    return _form(groups, **{**matrix, **overrides})


def test_a_secret_typed_before_another_fields_error_is_kept_without_showing_it(
    login, manager, groups
):
    # A room ID typo (or no event ticked) sent the page back with the token field empty: the
    # manager had to fetch the token from the chat platform again.
    web = login(manager)

    response = web.post("/chat/new/", _matrix(groups, room_id="room-without-bang"))

    assert response.status_code == 400
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "typed_token" not in page  # never as text
    assert "(••••LMNO) is kept; leave blank to use it" in page
    kept = response.context["form"]["secret_kept"].value()
    assert kept and f'value="{kept}"' in page

    response = web.post("/chat/new/", _matrix(groups, secret="", secret_kept=kept, events=[]))

    assert response.status_code == 400  # another error: the kept secret stays kept
    kept = response.context["form"]["secret_kept"].value()
    response = web.post("/chat/new/", _matrix(groups, secret="", secret_kept=kept))

    assert response.status_code == 302, response.content.decode()[:3000]
    assert secret_open(ChatChannel.objects.get().secret_encrypted) == MATRIX_TOKEN_TYPED


def test_a_kept_secret_is_only_one_this_server_sealed_within_the_hour(
    login, manager, groups, make_channel
):
    import time_machine

    web = login(manager)
    stored = make_channel(Platform.SLACK).secret_encrypted
    # A channel's stored secret never passes for a typed one.
    response = web.post("/chat/new/", _form(groups, secret="", secret_kept=stored))
    assert response.status_code == 400
    assert response.context["form"].errors["secret"] == [
        "Enter the webhook URL or the access token."
    ]
    with time_machine.travel("2026-03-02 09:00Z", tick=False):
        kept = web.post("/chat/new/", _form(groups, name="")).context["form"]["secret_kept"]
        kept = kept.value()
    with time_machine.travel("2026-03-02 10:01Z", tick=False):
        response = web.post("/chat/new/", _form(groups, secret="", secret_kept=kept))
    assert response.status_code == 400
    assert "secret" in response.context["form"].errors
    assert ChatChannel.objects.count() == 1


def test_a_secret_with_its_own_error_is_not_kept(login, manager, groups):
    web = login(manager)
    kept = web.post("/chat/new/", _form(groups, name="")).context["form"]["secret_kept"].value()

    response = web.post("/chat/new/", _form(groups, secret="ftp://nope.example"))

    assert response.status_code == 400
    assert response.context["form"]["secret_kept"].value() == ""
    assert "is kept" not in response.content.decode()
    response = web.post("/chat/new/", _form(groups, secret="", secret_kept=kept))
    assert response.status_code == 302  # an earlier good one still works


def test_the_admin_keeps_a_typed_secret_across_an_error_without_showing_it(client, groups):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    form = {
        "name": "",
        "support_group": groups[Tier.L1].pk,
        "platform": Platform.TEAMS,
        "secret": TEAMS_URL,
        "events": [ChatEvent.HIGH_PRIORITY],
        "language": "en",
        "is_enabled": "on",
        "homeserver": "",
        "room_id": "",
    }

    response = client.post("/admin/chat/chatchannel/add/", form)

    assert response.status_code == 200  # the admin's page with errors
    page = response.content.decode()
    assert "SECRETsig" not in page and "(••••WXYZ) is kept" in page
    kept = response.context["adminform"].form["secret_kept"].value()
    response = client.post(
        "/admin/chat/chatchannel/add/",
        {**form, "name": "L1 Teams", "secret": "", "secret_kept": kept},
    )
    assert response.status_code == 302
    assert secret_open(ChatChannel.objects.get().secret_encrypted) == TEAMS_URL


def test_a_name_taken_by_another_group_is_a_form_error(login, manager, make_channel, groups):
    make_channel(Platform.SLACK, tier=Tier.L2, name="Desk alerts")
    web = login(manager)

    response = web.post("/chat/new/", _form(groups, name="DESK alerts"))

    assert response.status_code == 400
    assert "There is already a chat channel named “Desk alerts”" in response.content.decode()
    assert ChatChannel.objects.count() == 1


def test_the_admin_refuses_a_name_taken_in_another_case(admin_client, make_channel, groups):
    make_channel(Platform.SLACK, name="Desk alerts")
    form = {
        "name": "desk ALERTS",
        "support_group": groups[Tier.L2].pk,
        "platform": Platform.SLACK,
        "secret": "https://hooks.slack.invalid/services/x",
        "events": [ChatEvent.HIGH_PRIORITY],
        "language": "en",
        "is_enabled": "on",
    }

    response = admin_client.post("/admin/chat/chatchannel/add/", form)

    assert response.status_code == 200
    page = response.content.decode()
    assert "There is already a chat channel named “Desk alerts”" in page
    assert page.count("There is already a chat channel") == 1
    assert ChatChannel.objects.count() == 1


def test_channel_zero_is_no_channel_not_the_new_channel_form(login, manager, groups):
    """/chat/0/ showed the new-channel form, and its Save made a channel."""
    web = login(manager)

    assert web.get("/chat/0/").status_code == 302
    response = web.post("/chat/0/", _form(groups))

    assert response.status_code == 302 and response["Location"] == "/chat/"
    assert not ChatChannel.objects.exists()


@pytest.mark.parametrize("events", ["5", '{"a": 1}', '["nope"]', '"high_priority"'])
def test_the_admin_takes_only_known_events(admin_client, groups, events):
    """The admin's events were a JSON box: "5" was saved, and reading the channels' routes then
    failed every ticket write."""
    form = {
        "name": "Desk",
        "support_group": groups[Tier.L1].pk,
        "platform": Platform.SLACK,
        "secret": "https://hooks.slack.invalid/services/x",
        "events": events,
        "language": "en",
        "is_enabled": "on",
    }

    response = admin_client.post("/admin/chat/chatchannel/add/", form)

    assert response.status_code == 200
    assert not ChatChannel.objects.exists()
    form["events"] = [ChatEvent.HIGH_PRIORITY, ChatEvent.SLA_BREACH]
    assert admin_client.post("/admin/chat/chatchannel/add/", form).status_code == 302
    assert ChatChannel.objects.get().events == [ChatEvent.HIGH_PRIORITY, ChatEvent.SLA_BREACH]


@pytest.mark.parametrize("stored", [5, {"a": 1}, "high_priority", [1, None, "sla_breach"]])
def test_events_stored_in_another_shape_route_nothing_and_fail_nothing(make_channel, stored):
    from chat.selectors import _load_routes

    channel = make_channel(Platform.SLACK)
    ChatChannel.objects.filter(pk=channel.pk).update(events=stored)

    routes = _load_routes()

    expected = [channel.pk] if isinstance(stored, list) else []
    assert routes.channel_ids(group_ids=[channel.support_group_id], event="sla_breach") == expected


def test_the_admin_checks_a_matrix_room_id_as_the_page_does(admin_client, groups):
    """A room alias (#room:server) was saved in the admin; every message to it then failed."""
    form = {
        "name": "Ops room",
        "support_group": groups[Tier.L1].pk,
        "platform": Platform.MATRIX,
        "homeserver": "https://matrix.example.org",
        "room_id": "#ops:example.org",
        "secret": "syt_token",
        "events": [ChatEvent.HIGH_PRIORITY],
        "language": "en",
        "is_enabled": "on",
    }

    refused = admin_client.post("/admin/chat/chatchannel/add/", form)
    slack = admin_client.post(
        "/admin/chat/chatchannel/add/",
        {
            **form,
            "name": "Slack room",
            "platform": Platform.SLACK,
            "secret": "https://hooks.slack.invalid/services/x",
            "room_id": "!ops:example.org",
        },
    )

    assert refused.status_code == 200
    assert "Enter the room ID: it starts with !" in refused.content.decode()
    assert slack.status_code == 302
    # Slack keeps no Matrix room, as through the page and the API.
    assert ChatChannel.objects.values_list("name", "homeserver", "room_id").get() == (
        "Slack room",
        "",
        "",
    )
