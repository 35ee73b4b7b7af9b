"""Issue 21 item 2: who else is on a ticket page, and who is typing a reply (tickets/presence.py).

Presence lives in the shared cache: on Redis (TEST_REDIS_URL) and on the local-memory cache of
the embedded mode alike. Times are explicit (`now`): entries expire by their own timestamps.
"""

import os
import socket
import uuid
from datetime import timedelta

import pytest
import redis
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from tests.factories import AgentFactory
from tickets import services
from tickets.models import Comment, Status
from tickets.presence import (
    TYPING_BEATS,
    VIEWING_BEATS,
    Viewer,
    presence_heartbeat,
    presence_leave,
    presence_viewers,
)

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BEAT = 5  # HELPDESK_PRESENCE_SECONDS in these tests


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _on_redis(settings) -> str:
    """The shared cache on TEST_REDIS_URL, under a key prefix of this test's own: tests running
    in parallel (xdist) share that database, so none of them flushes it."""
    if not _redis_answers():
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"test-presence-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "helpdesk.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    return prefix


def _forget(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


@pytest.fixture(params=["redis", "local-memory"])
def presence_cache(request, settings):
    """Presence on the shared Redis (production) and on the embedded mode's local memory."""
    settings.HELPDESK_PRESENCE_SECONDS = BEAT
    if request.param == "local-memory":
        yield request.param
        return
    prefix = _on_redis(settings)
    yield request.param
    _forget(prefix)


@pytest.fixture
def redis_down(settings):
    """The shared cache on a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "helpdesk.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/1",
        }
    }


def test_a_viewer_sees_the_others_never_themselves(presence_cache, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    colleague = AgentFactory(username="colleague", display_name="Ana Díaz")
    now = timezone.now()

    assert presence_heartbeat(ticket_id=ticket.pk, user=agent_l1, typing=False, now=now) == []
    others = presence_heartbeat(ticket_id=ticket.pk, user=colleague, typing=True, now=now)

    assert others == [Viewer(agent_l1.pk, agent_l1.name, typing=False)]
    assert presence_viewers(ticket_id=ticket.pk, exclude=agent_l1, now=now) == [
        Viewer(colleague.pk, "Ana Díaz", typing=True)
    ]
    # Another ticket has nobody.
    assert presence_viewers(ticket_id=ticket.pk + 1, now=now) == []


def test_typing_fades_after_two_beats_and_a_viewer_leaves_after_four(
    presence_cache, make_ticket, agent_l1, agent_l2
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    start = timezone.now()
    presence_heartbeat(ticket_id=ticket.pk, user=agent_l2, typing=True, now=start)

    def seen(after: float) -> list[Viewer]:
        return presence_viewers(
            ticket_id=ticket.pk, exclude=agent_l1, now=start + timedelta(seconds=after)
        )

    assert seen(BEAT * TYPING_BEATS - 0.1) == [Viewer(agent_l2.pk, agent_l2.name, typing=True)]
    assert seen(BEAT * TYPING_BEATS) == [Viewer(agent_l2.pk, agent_l2.name, typing=False)]
    assert seen(BEAT * VIEWING_BEATS - 0.1) == [Viewer(agent_l2.pk, agent_l2.name, typing=False)]
    assert seen(BEAT * VIEWING_BEATS) == []


def test_a_heartbeat_keeps_a_viewer_and_a_gone_one_is_pruned(
    presence_cache, make_ticket, agent_l1, agent_l2, agent_l3
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    start = timezone.now()
    for user in (agent_l1, agent_l2, agent_l3):
        presence_heartbeat(ticket_id=ticket.pk, user=user, typing=False, now=start)
    later = start + timedelta(seconds=BEAT * VIEWING_BEATS - 1)
    presence_heartbeat(ticket_id=ticket.pk, user=agent_l2, typing=False, now=later)

    # agent_l3 stopped beating: gone; agent_l2's beat kept them.
    much_later = later + timedelta(seconds=BEAT)
    others = presence_heartbeat(ticket_id=ticket.pk, user=agent_l1, typing=False, now=much_later)
    assert [viewer.user_id for viewer in others] == [agent_l2.pk]


def test_leaving_drops_a_viewer_at_once(presence_cache, make_ticket, agent_l1, agent_l2):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    now = timezone.now()
    presence_heartbeat(ticket_id=ticket.pk, user=agent_l2, typing=False, now=now)
    presence_leave(ticket_id=ticket.pk, user=agent_l2)
    assert presence_viewers(ticket_id=ticket.pk, now=now) == []


def test_on_redis_the_ticket_key_expires_with_its_last_viewer(make_ticket, agent_l1, settings):
    settings.HELPDESK_PRESENCE_SECONDS = BEAT
    prefix = _on_redis(settings)
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    presence_heartbeat(ticket_id=ticket.pk, user=agent_l1, typing=False)
    key = caches["default"].make_key(f"presence:ticket:{ticket.pk}")
    assert key.startswith(prefix)
    ttl = redis.Redis.from_url(REDIS_URL).ttl(key)
    assert 0 < ttl <= BEAT * VIEWING_BEATS + 1
    _forget(prefix)


def test_redis_down_fails_open(redis_down, make_ticket, agent_l1, client_for):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    assert presence_heartbeat(ticket_id=ticket.pk, user=agent_l1, typing=True) == []
    assert presence_viewers(ticket_id=ticket.pk) == []
    presence_leave(ticket_id=ticket.pk, user=agent_l1)  # no error either

    client = client_for(agent_l1)
    beat = client.post(f"/tickets/{ticket.pk}/presence/", {"typing": "1"})
    assert beat.status_code == 200
    assert "data-viewer" not in beat.content.decode()
    # The page and the reply work as ever.
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 200
    page = client.get(f"/tickets/{ticket.pk}/")
    version = page.context["reply_version"]
    sent = client.post(
        f"/tickets/{ticket.pk}/reply/", {"reply-body": "Still on it", "reply-version": version}
    )
    assert sent.status_code == 302
    assert Comment.objects.filter(ticket=ticket, body="Still on it").count() == 1


# --- the heartbeat endpoint --------------------------------------------------------------------


def test_heartbeat_lists_the_other_agents_and_who_is_typing(
    make_ticket, agent_l1, client_for, settings
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    colleague = AgentFactory(username="colleague", display_name="Ana Díaz")
    ana, me = client_for(colleague), client_for(agent_l1)

    assert ana.post(f"/tickets/{ticket.pk}/presence/", {"typing": "1"}).status_code == 200
    response = me.post(f"/tickets/{ticket.pk}/presence/", {"typing": "0"})

    body = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert f'data-viewer="{colleague.pk}" data-typing' in body
    assert "Ana Díaz" in body and "typing a reply" in body
    assert f'data-viewer="{agent_l1.pk}"' not in body

    # In Spanish too.
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    body = me.post(f"/tickets/{ticket.pk}/presence/", {"typing": "0"}).content.decode()
    assert "También en este ticket:" in body
    assert "escribiendo una respuesta…" in body


def test_leave_through_the_endpoint(make_ticket, agent_l2, client_for):
    ticket = make_ticket(Status.ESCALATED)
    client = client_for(agent_l2)
    client.post(f"/tickets/{ticket.pk}/presence/")
    assert presence_viewers(ticket_id=ticket.pk) != []
    assert client.post(f"/tickets/{ticket.pk}/presence/", {"leave": "1"}).status_code == 204
    assert presence_viewers(ticket_id=ticket.pk) == []


def test_a_manager_appears_viewing_never_typing(make_ticket, agent_l1, manager, client_for):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client_for(manager).post(f"/tickets/{ticket.pk}/presence/", {"typing": "1"})
    assert presence_viewers(ticket_id=ticket.pk) == [Viewer(manager.pk, manager.name, typing=False)]


def test_requesters_and_other_tiers_cannot_read_or_join_presence(
    make_ticket, requester, agent_l1, agent_l2, client_for
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # an L1 ticket: L2 agents do not read it
    presence_heartbeat(ticket_id=ticket.pk, user=agent_l1, typing=True)

    for outsider in (requester, agent_l2):
        response = client_for(outsider).post(f"/tickets/{ticket.pk}/presence/", {"typing": "1"})
        assert response.status_code == 404
        assert agent_l1.name not in response.content.decode()
    assert Client().post(f"/tickets/{ticket.pk}/presence/").status_code == 404
    assert client_for(agent_l1).get(f"/tickets/{ticket.pk}/presence/").status_code == 405
    # Nobody but the agent was recorded.
    assert [viewer.user_id for viewer in presence_viewers(ticket_id=ticket.pk)] == [agent_l1.pk]


def test_the_requesters_page_has_no_presence_the_agents_has(
    make_ticket, requester, agent_l1, client_for
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    presence_heartbeat(ticket_id=ticket.pk, user=agent_l1, typing=True)

    agent_page = client_for(agent_l1).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="presence"' in agent_page
    assert f'hx-post="/tickets/{ticket.pk}/presence/"' in agent_page
    for page in (
        client_for(requester).get(f"/tickets/{ticket.pk}/"),
        Client().get(f"/t/{ticket.tracking_token}/"),
    ):
        body = page.content.decode()
        assert page.status_code == 200
        assert "presence" not in body
        assert "typing a reply" not in body


@pytest.mark.parametrize("user_fixture, count", [("agent_l1", 4), ("agent_l2", 4), ("manager", 3)])
def test_heartbeat_query_count(
    user_fixture, count, request, make_ticket, client_for, django_assert_num_queries
):
    ticket = make_ticket(Status.ESCALATED)  # an L2 ticket: every one of them reads it
    user = request.getfixturevalue(user_fixture)
    client = client_for(user)
    for n in range(5):  # the answer does not grow with the number of viewers
        presence_heartbeat(
            ticket_id=ticket.pk, user=AgentFactory(username=f"viewer{n}"), typing=n % 2 == 0
        )
    # 1 session, 2 user, 3 the agent's tiers (agents only: the gate and the typing flag),
    # 4 the ticket through the gate. Presence itself is the cache, never the database.
    with django_assert_num_queries(count):
        response = client.post(f"/tickets/{ticket.pk}/presence/", {"typing": "1"})
    assert response.status_code == 200
    assert response.content.decode().count("data-viewer=") == 5


# --- the API -------------------------------------------------------------------------------------


def test_api_presence_heartbeat_read_and_leave(make_ticket, agent_l1, agent_l2, api):
    ticket = make_ticket(Status.ESCALATED)
    url = f"/api/tickets/{ticket.pk}/presence/"

    first = api(agent_l1).post(url, {"typing": True}, format="json")
    assert first.status_code == 200
    assert first.json() == {"viewers": [], "heartbeat_seconds": 5}

    seen = api(agent_l2).get(url)
    assert seen.status_code == 200
    assert seen.json()["viewers"] == [
        {"user_id": agent_l1.pk, "name": agent_l1.name, "typing": True}
    ]
    assert (
        api(agent_l2).get(url).json()["viewers"][0]["user_id"] == agent_l1.pk
    )  # GET records nothing
    assert api(agent_l1).get(url).json()["viewers"] == []

    assert api(agent_l1).delete(url).status_code == 204
    assert api(agent_l2).get(url).json()["viewers"] == []


def test_api_presence_is_not_for_requesters_or_other_tiers(
    make_ticket, requester, agent_l1, agent_l2, api
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # L1's: an L2 agent does not read it
    presence_heartbeat(ticket_id=ticket.pk, user=agent_l1, typing=True)
    url = f"/api/tickets/{ticket.pk}/presence/"
    for outsider in (requester, agent_l2):
        assert api(outsider).get(url).status_code == 404
        assert api(outsider).post(url, {"typing": True}, format="json").status_code == 404
        assert api(outsider).delete(url).status_code == 404
    assert api(None).get(url).status_code == 401
    assert [viewer.user_id for viewer in presence_viewers(ticket_id=ticket.pk)] == [agent_l1.pk]


def test_api_presence_bad_input_is_a_400(make_ticket, agent_l1, api):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    response = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/presence/", {"typing": "perhaps"}, format="json"
    )
    assert response.status_code == 400
    assert "typing" in response.json()["errors"]


def test_a_comment_still_works_while_others_beat(make_ticket, agent_l1, agent_l2):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    presence_heartbeat(ticket_id=ticket.pk, user=agent_l2, typing=True)
    comment = services.comment_create(ticket=ticket, actor=agent_l1, body="Checked the logs")
    assert comment.pk
