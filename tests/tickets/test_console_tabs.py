"""Issue 16, item 5: the console's "Open" is what someone has to work on (never resolved
tickets, which wait on the requester under "Solved (awaiting confirmation)"), and every
count on the page is the length of the list it links to; L1's Open is the dashboard's L1
backlog."""

import re
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from escalation.models import Tier
from reports.forms import Filters, period_for
from reports.selectors import dashboard
from tickets.models import Status

pytestmark = pytest.mark.django_db

TAB = re.compile(
    r'<a href="(?P<url>[^"]+)"[^>]*data-(?:queue|status-tab)="(?P<key>[^"]+)"[^>]*>'
    r'[^<]*<span class="count" id="count-(?P<count_id>[^"]+)">(?P<count>[^<]+)</span>'
)


@pytest.fixture
def desk(make_ticket, agent_l1):
    """Two of each open state at L1, resolved and closed ones, and one at L2."""
    for status in (
        Status.NEW,
        Status.PRIORITIZED,
        Status.IN_DIAGNOSIS,
        Status.ON_HOLD,
        Status.RESOLVED,
        Status.RESOLVED,
        Status.CLOSED,
        Status.ESCALATED,  # L2
    ):
        make_ticket(status)


def _rows(client, url: str) -> int:
    html = client.get(f"/console/{url}").content.decode()
    return html.count("data-ticket=")


def _tabs(html: str) -> dict[str, tuple[str, int]]:
    return {m["key"]: (unescape(m["url"]), int(m["count"])) for m in TAB.finditer(html)}


def test_open_leaves_resolved_tickets_to_their_own_tab(desk, agent_l1):
    client = Client()
    client.force_login(agent_l1)
    tabs = _tabs(client.get("/console/?queue=l1").content.decode())

    assert tabs["l1"][1] == 4  # new, prioritized, in diagnosis, on hold
    assert tabs["open"][1] == 4
    assert tabs["resolved"][1] == 2
    assert tabs["l2"][1] == 1


@pytest.mark.parametrize("queue", ["l1", "l2", "mine"])
def test_every_count_equals_the_list_it_links_to(desk, agent_l1, queue):
    client = Client()
    client.force_login(agent_l1)
    tabs = _tabs(client.get(f"/console/?queue={queue}").content.decode())

    assert set(tabs) >= {"mine", "l1", "l2", "l3", "open", "resolved"}
    for key, (url, count) in tabs.items():
        assert _rows(client, url) == count, key


def test_a_filtered_view_does_not_carry_its_filter_into_the_tabs(desk, agent_l1):
    client = Client()
    client.force_login(agent_l1)
    tabs = _tabs(client.get("/console/?queue=l1&priority=3&status=all").content.decode())
    for key, (url, count) in tabs.items():
        assert "priority" not in url
        assert _rows(client, url) == count, key


def test_the_l1_open_count_is_the_dashboards_l1_backlog(desk, agent_l1, manager):
    client = Client()
    client.force_login(agent_l1)
    tabs = _tabs(client.get("/console/?queue=l1").content.decode())
    board = dashboard(
        period=period_for(key="7d", now=timezone.now()), filters=Filters(), now=timezone.now()
    )
    assert board.backlog.tier_total(Tier.L1) == tabs["l1"][1]
    assert board.backlog.tier_total(Tier.L2) == tabs["l2"][1]


def test_the_polled_badges_include_the_status_tabs(desk, agent_l1):
    client = Client()
    client.force_login(agent_l1)
    body = client.get("/console/counts/?queue=l1").content.decode()
    assert 'id="count-l1" hx-swap-oob="true">4<' in body
    assert 'id="count-open" hx-swap-oob="true">4<' in body
    assert 'id="count-solved" hx-swap-oob="true">2<' in body
