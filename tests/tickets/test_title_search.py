"""Title search in the lists: a substring match, and on PostgreSQL a term too short for the
trigram index (no run of three letters or digits) matches at the start of a word, in a query
shape the index serves (issue 19 item 3; bench/search.py times it at 1M tickets)."""

import pytest
from django.db import connection

from tickets import services
from tickets.models import Ticket
from tickets.selectors import TicketFilters, ticket_list, title_search_filter

pytestmark = pytest.mark.django_db

TITLES = ["My PC does not boot", "Upcoming laptop upgrade", "Printer jammed", "HR portal: a b c"]


@pytest.fixture
def tickets(requester):
    return {
        title: services.ticket_create(requester=requester, title=title, description="d")
        for title in TITLES
    }


def _found(user, text: str) -> set[str]:
    return set(
        ticket_list(user=user, filters=TicketFilters(search=text)).values_list("title", flat=True)
    )


def test_a_word_of_three_letters_or_more_matches_anywhere_in_the_title(tickets, agent_l1):
    assert _found(agent_l1, "rint") == {"Printer jammed"}
    assert _found(agent_l1, "PRINTER JAM") == {"Printer jammed"}
    assert _found(agent_l1, "kubernetes") == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm")
def test_a_short_term_matches_at_the_start_of_a_word(tickets, agent_l1):
    assert _found(agent_l1, "pc") == {"My PC does not boot"}  # not "U-pc-oming"
    assert _found(agent_l1, "hr") == {"HR portal: a b c"}
    assert _found(agent_l1, "a b") == {"HR portal: a b c"}
    assert _found(agent_l1, "xy") == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm")
def test_a_short_term_is_looked_up_in_the_trigram_index(tickets):
    queryset = Ticket.objects.filter(title_search_filter("pc")).values("id")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # Tiny tables are read whole; forbid that to see which index can serve the condition.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The word operator is an index condition of ticket_title_trgm (a LIKE on "%PC%" alone
    # would have no trigram to look up there).
    assert "Bitmap Index Scan on ticket_title_trgm" in plan
    assert "%> 'PC'" in plan


def test_the_api_searches_titles_the_same_way(tickets, api, agent_l1):
    response = api(agent_l1).get("/api/tickets/?q=pc")
    assert response.status_code == 200
    expected = 1 if connection.vendor == "postgresql" else 2
    assert len(response.json()["results"]) == expected
