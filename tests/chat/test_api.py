"""The managers' API: CRUD, a write-only secret, a test message, errors and permissions."""

import pytest

from chat.crypto import secret_open
from chat.models import ChatChannel, ChatDelivery, ChatEvent, Platform
from escalation.models import Tier
from tests.chat.conftest import MATRIX_TOKEN

pytestmark = pytest.mark.django_db

SLACK_URL = "https://hooks.slack.com/services/T1/B2/verysecretwebhookABCD"


def _body(groups, **overrides):
    return {
        "name": "L1 alerts",
        "support_group": groups[Tier.L1].pk,
        "platform": Platform.SLACK,
        "secret": SLACK_URL,
        "events": [ChatEvent.HIGH_PRIORITY, ChatEvent.SLA_BREACH],
        "language": "es",
        **overrides,
    }


def test_a_manager_creates_reads_updates_and_deletes_a_channel(api, manager, groups):
    client = api(manager)

    created = client.post("/api/chat/channels/", _body(groups), format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["secret_hint"] == "••••ABCD"
    assert "secret" not in data and SLACK_URL not in created.content.decode()
    channel = ChatChannel.objects.get(pk=data["id"])
    assert SLACK_URL not in channel.secret_encrypted  # encrypted at rest
    assert secret_open(channel.secret_encrypted) == SLACK_URL

    listed = client.get("/api/chat/channels/")
    assert listed.status_code == 200 and SLACK_URL not in listed.content.decode()
    assert [row["name"] for row in listed.json()] == ["L1 alerts"]

    # A change without a secret keeps the stored one.
    changed = client.put(
        f"/api/chat/channels/{channel.pk}/",
        _body(groups, secret="", name="L1 pager", is_enabled=False),
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["secret_hint"] == "••••ABCD" and changed.json()["is_enabled"] is False
    channel.refresh_from_db()
    assert secret_open(channel.secret_encrypted) == SLACK_URL

    assert client.delete(f"/api/chat/channels/{channel.pk}/").status_code == 204
    assert not ChatChannel.objects.exists()


def test_a_matrix_channel_keeps_its_token_secret(api, manager, groups):
    response = api(manager).post(
        "/api/chat/channels/",
        _body(
            groups,
            platform=Platform.MATRIX,
            secret=MATRIX_TOKEN,
            homeserver="https://matrix.example.org",
            room_id="!ops:example.org",
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert MATRIX_TOKEN not in response.content.decode()
    assert response.json()["secret_hint"] == f"••••{MATRIX_TOKEN[-4:]}"
    assert response.json()["room_id"] == "!ops:example.org"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        ({"secret": ""}, "secret"),
        ({"secret": "ftp://example.org/hook"}, "secret"),
        ({"events": []}, "events"),
        ({"events": ["test"]}, "events"),
        ({"platform": "irc"}, "platform"),
        (
            {"platform": "matrix", "homeserver": "m.example.org", "room_id": "!a:b"},
            "homeserver",
        ),
        (
            {"platform": "matrix", "homeserver": "https://m.org", "room_id": "#a:b"},
            "room_id",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, manager, groups, overrides, field):
    response = api(manager).post("/api/chat/channels/", _body(groups, **overrides), format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body.get("errors", body), body
    assert not ChatChannel.objects.exists()


def test_a_second_channel_of_the_same_name_in_a_group_is_a_400(api, manager, groups):
    client = api(manager)
    assert client.post("/api/chat/channels/", _body(groups), format="json").status_code == 201
    response = client.post("/api/chat/channels/", _body(groups), format="json")
    assert response.status_code == 400
    assert "name" in response.json()["errors"]


def test_a_changed_platform_needs_a_new_secret(api, manager, make_channel):
    channel = make_channel(Platform.SLACK)
    response = api(manager).put(
        f"/api/chat/channels/{channel.pk}/",
        {
            "name": channel.name,
            "support_group": channel.support_group_id,
            "platform": Platform.TEAMS,
            "events": channel.events,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "secret" in response.json()["errors"]


def test_send_test_queues_a_row_and_deliveries_show_it(api, manager, make_channel):
    channel = make_channel(Platform.TEAMS)
    client = api(manager)

    response = client.post(f"/api/chat/channels/{channel.pk}/test/")

    assert response.status_code == 202, response.content
    row = ChatDelivery.objects.get(pk=response.json()["id"])
    assert (row.event, row.status) == (ChatEvent.TEST, "pending")
    listed = client.get(f"/api/chat/channels/{channel.pk}/deliveries/").json()
    assert [item["id"] for item in listed] == [row.pk]


@pytest.mark.parametrize("persona", ["agent_l1", "agent_l3", "requester", "security_officer"])
def test_only_managers_see_or_change_channels(api, make_channel, groups, persona, request):
    channel = make_channel(Platform.SLACK)
    client = api(request.getfixturevalue(persona))
    assert client.get("/api/chat/channels/").status_code == 403
    assert client.get(f"/api/chat/channels/{channel.pk}/").status_code == 403
    assert client.post("/api/chat/channels/", _body(groups), format="json").status_code == 403
    assert client.post(f"/api/chat/channels/{channel.pk}/test/").status_code == 403
    assert client.delete(f"/api/chat/channels/{channel.pk}/").status_code == 403
    assert ChatChannel.objects.count() == 1 and not ChatDelivery.objects.exists()


def test_anonymous_is_refused(api):
    assert api(None).get("/api/chat/channels/").status_code in (401, 403)


def test_an_unknown_channel_is_a_404(api, manager):
    assert api(manager).get("/api/chat/channels/999999/").status_code == 404


def test_patch_changes_only_the_fields_sent(api, manager, groups):
    """PATCH was a 405: an API client changing one field had to send them all (and the
    secret's absence kept it, but a forgotten field fell back to its default)."""
    client = api(manager)
    channel = client.post("/api/chat/channels/", _body(groups), format="json").json()

    response = client.patch(
        f"/api/chat/channels/{channel['id']}/", {"is_enabled": False}, format="json"
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["is_enabled"] is False
    assert (data["name"], data["language"], data["events"]) == (
        "L1 alerts",
        "es",
        sorted([ChatEvent.HIGH_PRIORITY, ChatEvent.SLA_BREACH]),
    )
    assert data["secret_hint"] == "••••ABCD"
    stored = ChatChannel.objects.get(pk=channel["id"])
    assert secret_open(stored.secret_encrypted) == SLACK_URL


def test_patch_is_checked_as_a_put(api, manager, groups, make_channel):
    client = api(manager)
    channel = client.post("/api/chat/channels/", _body(groups), format="json").json()
    make_channel(Platform.SLACK, name="Other room")
    url = f"/api/chat/channels/{channel['id']}/"

    assert client.patch(url, {"events": []}, format="json").status_code == 400
    assert client.patch(url, {"name": "other ROOM"}, format="json").status_code == 400
    # A platform change still needs a new secret.
    refused = client.patch(url, {"platform": Platform.TEAMS}, format="json")
    assert refused.status_code == 400 and "secret" in refused.json()["errors"]
    assert client.patch(url, {"name": "Renamed"}, format="json").json()["name"] == "Renamed"


@pytest.mark.parametrize("tier", [Tier.L1, Tier.L2])
def test_a_name_taken_in_any_case_or_group_is_a_400(api, manager, groups, tier):
    """Two "L1 alerts" channels (one per group, or "l1 ALERTS") were told apart nowhere."""
    client = api(manager)
    assert client.post("/api/chat/channels/", _body(groups), format="json").status_code == 201

    response = client.post(
        "/api/chat/channels/",
        _body(groups, name=" l1 ALERTS ", support_group=groups[tier].pk),
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["name"] == [
        "There is already a chat channel named “L1 alerts” (Tier 1 team): choose another name."
    ]
    assert ChatChannel.objects.count() == 1


def test_a_name_taken_meanwhile_is_a_400_not_a_500(api, manager, groups, monkeypatch):
    """The check and the insert are two statements: a colleague's channel of the same name
    saved in between fails the unique index, which answers as the check would."""
    from chat import services

    checked = services.chat_channel_name_check
    calls = []

    def check_missing_the_colleague(*, name, channel):
        calls.append(name)
        if len(calls) > 1:  # the recheck after the index refused the row
            checked(name=name, channel=channel)

    client = api(manager)
    assert client.post("/api/chat/channels/", _body(groups), format="json").status_code == 201
    monkeypatch.setattr(services, "chat_channel_name_check", check_missing_the_colleague)

    response = client.post("/api/chat/channels/", _body(groups, name="L1 ALERTS"), format="json")

    assert response.status_code == 400, response.content
    assert "name" in response.json()["errors"] and len(calls) == 2
    assert ChatChannel.objects.count() == 1
