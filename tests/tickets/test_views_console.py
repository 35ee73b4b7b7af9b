"""The agent console: queues, filters, keyset pages, live counts, and who may see it."""

import random
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from escalation.models import Tier
from tests.factories import CategoryFactory, TicketFactory
from tickets import services
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()  # the tab counts are cached for a few seconds
    yield
    cache.clear()


def ids_in(response) -> list[int]:
    return [int(i) for i in re.findall(r'data-ticket="(\d+)"', response.content.decode())]


def test_agent_sees_the_queue_of_their_tier(client_for, agent_l1, make_ticket):
    ticket = make_ticket(Status.PRIORITIZED)

    response = client_for(agent_l1).get("/console/")

    assert response.status_code == 200
    assert ids_in(response) == [ticket.pk]
    assert response.context["params"].queue == "l1"


def test_l2_agent_has_no_l1_queue(client_for, agent_l2, make_ticket):
    at_l1 = make_ticket(Status.PRIORITIZED)
    at_l2 = make_ticket(Status.ESCALATED)

    response = client_for(agent_l2).get("/console/?queue=l1")

    assert [key for key, *_ in response.context["tabs"]] == ["mine", "l2"]
    assert ids_in(response) == [at_l2.pk]
    assert at_l1.pk not in ids_in(client_for(agent_l2).get("/console/?status=all"))


def test_requesters_and_visitors_have_no_console(client_for, requester):
    assert client_for(requester).get("/console/").status_code == 404
    assert client_for(requester).get("/console/counts/").status_code == 404
    response = client_for(None).get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_manager_reads_the_console(client_for, manager, make_ticket):
    ticket = make_ticket(Status.ESCALATED)

    response = client_for(manager).get("/console/?queue=l2")

    assert ids_in(response) == [ticket.pk]
    assert "mine" not in [key for key, *_ in response.context["tabs"]]


def test_assigned_to_me(client_for, agent_l1, make_ticket):
    mine = make_ticket(Status.IN_DIAGNOSIS)  # taken by agent_l1
    make_ticket(Status.PRIORITIZED)

    assert ids_in(client_for(agent_l1).get("/console/?queue=mine")) == [mine.pk]


def test_filters(client_for, agent_l1, make_ticket, category):
    on_hold = make_ticket(Status.ON_HOLD)
    new = make_ticket(Status.NEW, title="Mailbox full")
    closed = make_ticket(Status.CLOSED)
    client = client_for(agent_l1)

    assert set(ids_in(client.get("/console/"))) == {on_hold.pk, new.pk}  # open by default
    assert ids_in(client.get("/console/?status=on_hold")) == [on_hold.pk]
    assert closed.pk in ids_in(client.get("/console/?status=all"))
    assert ids_in(client.get("/console/?q=mailbox")) == [new.pk]
    assert ids_in(client.get(f"/console/?q={new.reference}")) == [new.pk]
    assert ids_in(client.get(f"/console/?category={category.pk}")) == [on_hold.pk]
    assert ids_in(client.get("/console/?priority=3")) == [on_hold.pk]  # medium × medium
    assert ids_in(client.get("/console/?assignee=none")) == [new.pk]
    assert ids_in(client.get(f"/console/?assignee={agent_l1.pk}")) == [on_hold.pk]
    assert ids_in(client.get("/console/?kind=service_request")) == []


def test_bad_filter_values_are_ignored_not_errors(client_for, agent_l1, make_ticket):
    ticket = make_ticket()

    response = client_for(agent_l1).get(
        "/console/?status=bogus&priority=9&category=x&assignee=abc&sort=evil&cursor=zz&sla=nope&queue=l9"
    )

    assert response.status_code == 200
    assert ids_in(response) == [ticket.pk]


def test_the_sla_filter_shows_breached_and_at_risk_tickets(client_for, agent_l1, make_ticket):
    ticket = make_ticket()  # provisional P4: first response due in 3 h
    client = client_for(agent_l1)

    assert ids_in(client.get("/console/?sla=breached")) == []
    assert ids_in(client.get("/console/?sla=at_risk")) == []
    with time_machine.travel(timezone.now() + timedelta(hours=2, minutes=30)):  # past 75 %
        assert ids_in(client.get("/console/?sla=at_risk")) == [ticket.pk]
        assert ids_in(client.get("/console/?sla=breached")) == []
    with time_machine.travel(timezone.now() + timedelta(hours=4)):
        assert ids_in(client.get("/console/?sla=breached")) == [ticket.pk]


def test_keyset_pages_are_disjoint_and_complete(client_for, agent_l1, requester):
    tickets = TicketFactory.create_batch(30, requester=requester)
    client = client_for(agent_l1)

    first = client.get("/console/")
    next_url = first.context["next_url"]
    second = client.get(f"/console/{next_url}")

    assert ids_in(first) == sorted((t.pk for t in tickets), reverse=True)[:25]
    assert f"cursor={ids_in(first)[-1]}" in next_url  # "older than ticket X"
    assert ids_in(second) == sorted((t.pk for t in tickets), reverse=True)[25:]
    assert second.context["next_url"] == ""


def test_priority_sort_pages_by_priority_then_newest(client_for, agent_l1, requester):
    tickets = [
        TicketFactory(requester=requester, priority=p) for p in [3, 1, 5, 1, 2] * 6
    ]  # 30 tickets
    client = client_for(agent_l1)
    expected = [t.pk for t in sorted(tickets, key=lambda t: (t.priority, -t.pk))]

    first = client.get("/console/?sort=priority")
    second = client.get(f"/console/{first.context['next_url']}")

    assert ids_in(first) + ids_in(second) == expected
    assert ids_in(client.get("/console/?sort=oldest"))[:3] == sorted(t.pk for t in tickets)[:3]


def test_a_priority_page_after_a_cursor_runs_on_into_the_next_priorities(
    client_for, agent_l1, requester
):
    # The second page starts inside P2 (after 20 P1 and 5 P2) and runs on into P3 and P5.
    priorities = [1] * 20 + [2] * 8 + [3] * 4 + [5] * 3
    random.Random(27).shuffle(priorities)
    tickets = [TicketFactory(requester=requester, priority=p) for p in priorities]
    client = client_for(agent_l1)
    expected = [t.pk for t in sorted(tickets, key=lambda t: (t.priority, -t.pk))]

    first = client.get("/console/?sort=priority")
    assert first.context["next_url"].endswith(f"cursor=2.{expected[24]}")
    second = client.get(f"/console/{first.context['next_url']}")

    assert ids_in(first) == expected[:25]
    assert ids_in(second) == expected[25:]
    assert second.context["next_url"] == ""


def test_htmx_request_swaps_only_the_results(client_for, agent_l1, make_ticket):
    make_ticket()

    response = client_for(agent_l1).get(
        "/console/?status=all", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )

    body = response.content.decode()
    assert "<html" not in body
    assert 'data-testid="queue"' in body
    assert next(t.name for t in response.templates) == "tickets/_queue_results.html"


@pytest.mark.parametrize("htmx", [True, False])
def test_the_page_and_its_results_block_vary_on_the_htmx_headers(
    client_for, agent_l1, make_ticket, htmx
):
    """One address, two answers (the filters push the block's address to the address bar): the
    browser's cache keeps them apart, so Back to a filtered console is the page, not the bare
    block it had cached for that address."""
    make_ticket()
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"} if htmx else {}

    response = client_for(agent_l1).get("/console/?status=all&q=VPN", **headers)

    assert response.status_code == 200
    vary = {value.strip().lower() for value in response["Vary"].split(",")}
    assert {"hx-request", "hx-target"} <= vary


def test_counts_are_open_tickets_per_tier_and_mine(client_for, agent_l1, make_ticket):
    make_ticket(Status.IN_DIAGNOSIS)  # L1, mine
    make_ticket(Status.ESCALATED)  # L2
    make_ticket(Status.CLOSED)  # not counted

    response = client_for(agent_l1).get("/console/counts/")

    body = response.content.decode()
    assert 'id="count-l1" hx-swap-oob="true">1<' in body
    assert 'id="count-l2" hx-swap-oob="true">1<' in body
    assert 'id="count-l3" hx-swap-oob="true">0<' in body
    assert 'id="count-mine" hx-swap-oob="true">1<' in body


def test_counts_are_capped(client_for, agent_l1, requester, settings, monkeypatch):
    monkeypatch.setattr("tickets.views.console_queue.COUNT_CAP", 3)
    TicketFactory.create_batch(5, requester=requester, tier=Tier.L1)

    body = client_for(agent_l1).get("/console/counts/").content.decode()

    assert 'id="count-l1" hx-swap-oob="true">3+<' in body


def test_priority_preview_follows_the_matrix(client_for, agent_l1):
    client = client_for(agent_l1)

    high_high = client.get("/console/priority/?triage-impact=high&triage-urgency=high")
    low_low = client.get("/console/priority/?triage-impact=low&triage-urgency=low")
    override = client.get(
        "/console/priority/?triage-impact=low&triage-urgency=low&triage-override=2"
    )

    assert "P1 critical" in high_high.content.decode()
    assert "P5 planning" in low_low.content.decode()
    assert "P2 high" in override.content.decode()


@pytest.mark.parametrize("count", [3, 40])
def test_queue_page_query_count_is_independent_of_size(
    count, client_for, agent_l1, requester, category, django_assert_num_queries
):
    TicketFactory.create_batch(count, requester=requester, category=category)
    client = client_for(agent_l1)
    client.get("/console/")  # warm the count cache as a second viewer would find it
    cache.clear()

    # 1 session, 2 user, 3 the agent's tiers (support groups), 4 the page of tickets (with
    # requester, assignee and category joined), 5 the page's SLA clocks, 6-9 the four capped tab
    # counts (mine, L1, L2, L3), 10 the queue's "solved (awaiting confirmation)" count, 11
    # top-level categories for the filter, 12 agents for the assignee filter, 13 the agents of
    # the queue's tier for the bulk bar's "Assign" (issue 21), 14 the open P1 tickets of the
    # agent's tiers (the live queue's announcement: those already open are not news), 15 the saved
    # views (with the default flag), 16 the agent's groups for the "Save view" form
    # (tests/savedviews).
    with django_assert_num_queries(16):
        client.get("/console/?status=all")
    # A deep keyset page with a filter costs the same; the counts now come from the cache.
    deep = Ticket.objects.order_by("-id")[1].pk
    with django_assert_num_queries(11):
        client.get(f"/console/?status=all&cursor={deep}&priority=4")
    # The htmx swap: session, user, tiers, the page, its SLA clocks.
    with django_assert_num_queries(5):
        client.get("/console/?status=open", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")


def test_counts_endpoint_is_cheap_and_cached(client_for, agent_l1, django_assert_num_queries):
    client = client_for(agent_l1)
    # session, user, tiers, four capped counts, the L1 queue's solved count
    with django_assert_num_queries(8):
        client.get("/console/counts/")
    # session, user, tiers: the counts come from the cache
    with django_assert_num_queries(3):
        client.get("/console/counts/")


def test_escalated_ticket_shows_in_l2_counts_after_cache_expiry(
    client_for, agent_l1, make_ticket, agent_l2
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.ticket_escalate(ticket=ticket, actor=agent_l1, reason="network")

    body = client_for(agent_l2).get("/console/counts/").content.decode()

    assert 'id="count-l2" hx-swap-oob="true">1<' in body


def _selected(response, select_id: str) -> str:
    html = response.content.decode()
    select = html.split(f'id="{select_id}"')[1].split("</select>")[0]
    return re.findall(r"<option [^>]*selected[^>]*>([^<]*)<", select)[0]


def test_a_retired_category_filter_is_named_in_the_bar_not_any_category(
    client_for, agent_l1, make_ticket
):
    """A saved view or a link filtering by a category retired since: the list was that
    category's tickets and the bar said "Any category"; the next change of another filter
    sent the bar's "any" and dropped it without a word."""
    category = CategoryFactory(name="Fax")
    filed = make_ticket(Status.NEW, category=category)  # (triage would set the category)
    make_ticket(Status.NEW)
    category.is_active = False
    category.save()
    client = client_for(agent_l1)

    response = client.get(f"/console/?category={category.pk}")

    assert ids_in(response) == [filed.pk]
    assert _selected(response, "f-category") == "Fax (no longer in use)"
    # The bulk bar still offers only categories in use.
    bulk = response.content.decode().split('id="bulk-category"')[1].split("</select>")[0]
    assert "Fax" not in bulk
    missing = client.get("/console/?category=987654")
    assert _selected(missing, "f-category") == "#987654 (no longer exists)"


def test_a_former_agents_filter_is_named_in_the_bar_not_anyone(
    client_for, agent_l1, agent_l2, make_ticket, requester
):
    held = make_ticket(Status.IN_DIAGNOSIS)
    held.assignee = agent_l2
    held.save(update_fields=["assignee"])
    agent_l2.is_active = False
    agent_l2.save(update_fields=["is_active"])
    client = client_for(agent_l1)

    response = client.get(f"/console/?queue=l1&assignee={agent_l2.pk}")

    assert ids_in(response) == [held.pk]
    assert _selected(response, "f-assignee") == f"{agent_l2.name} (no longer an agent)"
    not_an_agent = client.get(f"/console/?queue=l1&assignee={requester.pk}")
    assert _selected(not_an_agent, "f-assignee") == f"#{requester.pk} (no such agent)"
