"""Issue 21 item 1, the live queue: the console's poll answers 304 while nothing it shows has
changed, and the new rows, counts and P1 tickets when something did — only the agent's own."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from sla.sweep import sla_events_apply, sla_record_due
from tests.factories import AgentFactory
from tickets import live, services
from tickets.models import Level, Priority, Status, Ticket

pytestmark = pytest.mark.django_db

LIVE = "/console/live/"


@pytest.fixture(autouse=True)
def _at_the_start_of_a_minute():
    """The tag carries the minute (relative times move on by themselves): a test that polls
    twice must not straddle a minute's end, or its 304 turns into a 200 (a flake seen in CI
    runs). Time runs as usual, from one second past a minute."""
    now = timezone.now()
    with time_machine.travel(now.replace(second=1, microsecond=0), tick=True):
        yield


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what the block schedules on commit (the version stamps), as a real commit would."""

    def block():
        return django_capture_on_commit_callbacks(execute=True)

    return block


def ids_in(response) -> list[int]:
    return [int(i) for i in re.findall(r'data-ticket="(\d+)"', response.content.decode())]


def p1_in(response) -> list[int]:
    return [int(i) for i in re.findall(r'data-p1="(\d+)"', response.content.decode())]


def poll(client: Client, etag: str = "", query: str = ""):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(f"{LIVE}{query}", **headers)


def make_p1(make_ticket, agent_l1, category, **kwargs) -> Ticket:
    ticket = make_ticket(Status.LOGGED, **kwargs)
    return services.ticket_triage(
        ticket=ticket,
        actor=agent_l1,
        kind="incident",
        category=category,
        impact=Level.HIGH,
        urgency=Level.HIGH,
    )


def test_poll_answers_304_while_nothing_changed_without_a_query_of_its_own(
    client_for, agent_l1, make_ticket, django_assert_num_queries
):
    ticket = make_ticket(Status.PRIORITIZED)
    client = client_for(agent_l1)
    first = poll(client)
    assert first.status_code == 200
    assert ids_in(first) == [ticket.pk]
    etag = first["ETag"]
    assert etag.startswith('"') and first["Cache-Control"] == "private, no-cache"

    # 1 session, 2 user: Django's authentication. The tiers and versions come from the cache.
    with django_assert_num_queries(2):
        again = poll(client, etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert again.content == b""
    # A weak or listed tag matches too.
    assert poll(client, f'"other", W/{etag}').status_code == 304


def test_the_page_carries_the_tag_of_its_first_poll(client_for, agent_l1, make_ticket):
    make_ticket(Status.PRIORITIZED)
    client = client_for(agent_l1)
    page = client.get("/console/?priority=3")
    etag = page.context["live_etag"]
    assert etag
    assert f'data-etag="{etag.replace(chr(34), "&quot;")}"' in page.content.decode()
    assert poll(client, etag, "?priority=3").status_code == 304
    # Another filter is another list: it renders.
    assert poll(client, etag, "?priority=4").status_code == 200


def test_a_new_ticket_changes_the_tag_and_arrives_with_the_counts(
    client_for, agent_l1, make_ticket, requester, commit
):
    make_ticket(Status.PRIORITIZED)
    client = client_for(agent_l1)
    etag = poll(client)["ETag"]

    with commit():
        ticket = services.ticket_create(
            requester=requester, title="Printer on fire", description="x"
        )

    answer = poll(client, etag)
    assert answer.status_code == 200
    assert answer["ETag"] != etag
    assert ticket.pk in ids_in(answer)
    assert 'id="count-l1" hx-swap-oob="true">2<' in answer.content.decode()
    assert poll(client, answer["ETag"]).status_code == 304


def test_a_transition_moves_the_ticket_between_the_tiers_consoles(
    client_for, agent_l1, agent_l2, make_ticket, commit
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    l1, l2 = client_for(agent_l1), client_for(agent_l2)
    l1_tag, l2_tag = poll(l1)["ETag"], poll(l2)["ETag"]
    assert ticket.pk not in ids_in(poll(l2))

    with commit():
        services.ticket_escalate(ticket=ticket, actor=agent_l1, reason="network")

    # The L1 console loses it (and the assignee's "mine"), the L2 console gains it.
    left = poll(l1, l1_tag)
    assert left.status_code == 200 and ticket.pk not in ids_in(left)
    arrived = poll(l2, l2_tag)
    assert arrived.status_code == 200 and ticket.pk in ids_in(arrived)


def test_assignment_changes_the_assignees_mine(client_for, agent_l1, make_ticket, commit):
    ticket = make_ticket(Status.PRIORITIZED)
    other = AgentFactory(username="agent_l1_other", tier=1)
    client = client_for(other)
    etag = poll(client, query="?queue=mine")["ETag"]

    with commit():
        services.ticket_start_diagnosis(ticket=ticket, actor=agent_l1, assignee=other)

    answer = poll(client, etag, "?queue=mine")
    assert answer.status_code == 200
    assert ids_in(answer) == [ticket.pk]


def test_a_breach_changes_the_tag(client_for, agent_l1, make_ticket, commit, settings):
    settings.SESSION_COOKIE_AGE = 365 * 24 * 3600  # still signed in a month later
    settings.SLA_ESCALATE_ON_BREACH = False  # the breach alone: the ticket row does not change
    ticket = make_ticket(Status.PRIORITIZED)
    client = client_for(agent_l1)
    later = timezone.now() + timedelta(days=30)
    with time_machine.travel(later, tick=False):
        etag = poll(client)["ETag"]
        with commit():
            sla_record_due(now=later)
            assert sla_events_apply() >= 1
        answer = poll(client, etag)
    assert answer.status_code == 200
    assert ticket.pk in ids_in(answer)


def test_the_tag_moves_on_with_the_minute(client_for, agent_l1, make_ticket):
    # Relative times ("5 minutes ago") and SLA colours change without a write.
    make_ticket(Status.PRIORITIZED)
    client = client_for(agent_l1)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        etag = poll(client)["ETag"]
        assert poll(client, etag).status_code == 304
        clock.shift(timedelta(seconds=61))
        assert poll(client, etag).status_code == 200


def test_an_agent_learns_nothing_of_another_tiers_tickets(
    client_for, agent_l1, agent_l2, agent_l3, make_ticket, commit, category
):
    at_l2 = make_ticket(Status.ESCALATED)
    client = client_for(agent_l2)
    first = poll(client)
    assert ids_in(first) == [at_l2.pk]

    # A P1 goes straight to L3 (DESIGN, routing): the L2 console's tag stays.
    with commit():
        p1 = make_p1(make_ticket, agent_l1, category)
    assert p1.tier == 3
    assert poll(client, first["ETag"]).status_code == 304
    answer = poll(client)  # asked afresh: still only its tier, and no P1 of another tier
    assert p1.pk not in ids_in(answer)
    assert p1_in(answer) == []
    assert poll(client, query="?queue=l3").context["params"].queue == "l2"
    # The L3 agent hears of it.
    assert p1_in(poll(client_for(agent_l3))) == [p1.pk]


def test_new_p1_of_the_tier_is_named_in_the_answer(
    client_for, agent_l1, agent_l3, manager, make_ticket, commit, category
):
    client = client_for(agent_l3)
    first = poll(client)
    assert p1_in(first) == []

    with commit():
        p1 = make_p1(make_ticket, agent_l1, category, title="Payments down")
    assert p1.priority == Priority.P1

    answer = poll(client, first["ETag"])
    assert answer.status_code == 200
    assert p1_in(answer) == [p1.pk]
    assert p1.pk in ids_in(answer)
    body = answer.content.decode()
    assert f'data-ref="{p1.reference}"' in body and "Payments down" in body
    # A manager hears of every tier's; an L1 agent (who reads L3's queue) of their tier's only.
    assert p1_in(poll(client_for(manager))) == [p1.pk]
    assert p1_in(poll(client_for(agent_l1))) == []
    # A P1 no longer open is no news.
    with commit():
        services.ticket_cancel(ticket=p1, actor=agent_l3, code="duplicate")
    assert p1_in(poll(client)) == []


def test_requesters_and_strangers_get_nothing(client_for, requester, make_ticket):
    make_ticket(Status.PRIORITIZED)
    assert client_for(requester).get(LIVE).status_code == 404
    assert client_for(None).get(LIVE).status_code == 403


def test_only_get(client_for, agent_l1):
    assert client_for(agent_l1).post(LIVE).status_code == 405


def test_cache_down_means_every_poll_renders(client_for, agent_l1, make_ticket, monkeypatch):
    make_ticket(Status.PRIORITIZED)
    client = client_for(agent_l1)
    etag = poll(client)["ETag"]
    # The fail-open cache: every read a miss, every write dropped.
    monkeypatch.setattr(cache, "get_many", lambda keys, **kw: {})
    monkeypatch.setattr(cache, "add", lambda *a, **kw: False)
    answer = poll(client, etag)
    assert answer.status_code == 200
    assert not answer.has_header("ETag")


def test_rendering_poll_cost_is_constant(
    client_for, agent_l1, make_ticket, django_assert_num_queries
):
    for _ in range(3):
        make_ticket(Status.PRIORITIZED)
    client = client_for(agent_l1)
    poll(client)  # the tiers and the counts now in the cache
    cache.delete_many([f"live-queue:tier:{t}" for t in (1, 2, 3)])  # as if tickets changed
    # 1 session, 2 user, 3 the page of tickets, 4 its SLA clocks, 5-7 the capped counts of L1,
    # L2 and L3 (their versions changed; "mine" did not: from the cache), 8 the L1 queue's
    # solved count, 9 the open P1s of the agent's tier.
    with django_assert_num_queries(9):
        assert poll(client).status_code == 200


def test_versions_are_stamped_only_on_commit(
    agent_l1, make_ticket, django_capture_on_commit_callbacks
):
    make_ticket(Status.PRIORITIZED)
    before = live.queue_versions(user=agent_l1, tiers=[1])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_ticket(Status.PRIORITIZED)
    assert live.queue_versions(user=agent_l1, tiers=[1]) == before  # not committed yet
    for callback in callbacks:
        callback()
    after = live.queue_versions(user=agent_l1, tiers=[1])
    assert after is not None and before is not None
    assert after["l1"] != before["l1"]
    assert after["mine"] == before["mine"]  # nothing assigned to this agent


# --- one render of a queue's rows, shared by the agents who see the same rows ------------------


def _csrf_in(response) -> list[str]:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())


def test_agents_of_a_tier_share_one_render_of_its_rows_with_their_own_csrf_token(
    agent_l1, make_ticket, django_assert_max_num_queries
):
    ticket = make_ticket(Status.PRIORITIZED)  # takeable: a Take form on its row
    other = AgentFactory(username="agent_l1_b", tier=1)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(agent_l1)
    second.force_login(other)

    rendered = poll(first)
    # The rows come from the first agent's render: no rows or clocks query of its own (session,
    # user, tiers, then its own "mine" count and the P1 list only).
    with django_assert_max_num_queries(5) as captured:
        shared = poll(second)
    sqls = [q["sql"] for q in captured]
    assert not any("LIMIT 26" in sql or '"sla_slaclock"' in sql for sql in sqls), sqls
    assert ids_in(shared) == ids_in(rendered) == [ticket.pk]
    assert "__helpdesk-csrf-token__" not in shared.content.decode()
    token = _csrf_in(shared)
    assert token and token != _csrf_in(rendered)

    # The second agent's token from the shared rows takes the ticket.
    taken = second.post(
        "/console/bulk/",
        {"action": "take", "ids": [ticket.pk], "csrfmiddlewaretoken": token[0]},
    )
    assert taken.status_code in (200, 302)
    ticket.refresh_from_db()
    assert ticket.assignee == other


def test_rows_are_not_shared_across_mine_roles_or_languages(
    client_for, agent_l1, agent_l2, manager, make_ticket
):
    mine = make_ticket(Status.IN_DIAGNOSIS)  # assigned to agent_l1
    make_ticket(Status.ESCALATED)  # L2
    other = AgentFactory(username="agent_l1_b", tier=1)

    assert ids_in(poll(client_for(agent_l1), query="?queue=mine")) == [mine.pk]
    assert ids_in(poll(client_for(other), query="?queue=mine")) == []

    # An agent's rows carry check boxes and Take buttons; a manager's, with the same filters, not.
    agent_rows = poll(client_for(agent_l2), query="?queue=l2").content.decode()
    manager_rows = poll(client_for(manager), query="?queue=l2").content.decode()
    assert "data-bulk-row" in agent_rows and "data-bulk-row" not in manager_rows

    other.language = "es"
    other.save(update_fields=["language"])
    english = poll(client_for(agent_l1), query="?queue=l1&status=all").content.decode()
    spanish = poll(client_for(other), query="?queue=l1&status=all").content.decode()
    assert "No tickets match." not in english and "Ticket" in english
    assert "Prioridad" in spanish and "Priority" not in spanish


def test_a_change_to_the_tier_renders_the_rows_again(client_for, agent_l1, make_ticket, commit):
    make_ticket(Status.PRIORITIZED)
    other = AgentFactory(username="agent_l1_b", tier=1)
    assert len(ids_in(poll(client_for(agent_l1)))) == 1
    with commit():
        new = make_ticket(Status.PRIORITIZED, title="Printer on fire")
    assert ids_in(poll(client_for(other)))[0] == new.pk


def test_the_console_page_shares_the_rows_its_polls_rendered(
    agent_l1, make_ticket, django_assert_max_num_queries
):
    ticket = make_ticket(Status.PRIORITIZED)
    other = AgentFactory(username="agent_l1_b", tier=1)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(agent_l1)
    second.force_login(other)
    poll(first)
    second.get("/console/?queue=l1")  # the second agent's own counts and tiers, cached
    with django_assert_max_num_queries(12) as captured:
        page = second.get("/console/?queue=l1")
    sqls = [q["sql"] for q in captured]
    assert not any("LIMIT 26" in sql or '"sla_slaclock"' in sql for sql in sqls), sqls
    html = page.content.decode()
    assert ids_in(page) == [ticket.pk]
    # A Take from the page comes back to the console (not to the poll that rendered the rows).
    assert 'name="next" value="/console/?queue=l1&amp;status=open&amp;sort=newest"' in html
    token = _csrf_in(page)[-1]
    assert second.post(
        "/console/bulk/", {"action": "take", "ids": [ticket.pk], "csrfmiddlewaretoken": token}
    ).status_code in (200, 302)
    ticket.refresh_from_db()
    assert ticket.assignee == other


def test_a_requesters_message_shows_on_the_next_load(
    client_for, agent_l1, requester, make_ticket, commit
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    with commit():
        services.comment_create(ticket=ticket, actor=agent_l1, body="Looking.")
    client = client_for(agent_l1)
    assert "Next response" not in client.get("/console/?queue=l1").content.decode()
    with commit():
        services.comment_create(ticket=ticket, actor=requester, body="Still down.")
    assert "Next response" in client.get("/console/?queue=l1").content.decode()
