"""Title search in the lists: a substring match, and on PostgreSQL a term too short for the
trigram index (no run of three letters or digits) matches at the start of a word, in a query
shape the index serves (issue 19 item 3; bench/search.py times it at 1M tickets)."""

import pytest
from django.db import connection
from django.db.models import Q, Value
from django.db.models.functions import Upper

from tickets import services
from tickets.models import Ticket
from tickets.selectors import (
    _TRIGRAM_WORD,
    TicketFilters,
    _WordStartsWith,
    ticket_list,
    title_match_filter,
    title_search_filter,
)

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
    queryset = Ticket.objects.filter(title_match_filter("pc")).values("id")
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


# Issue 19 item 3: a common term whose matches are all older than a run of recent tickets that
# do not match. The LIKE is tested before the word similarity (cheaper per row when PostgreSQL
# walks the primary key); the rows and their order are what the previous shape found.
OLD_TITLES = ["Email stopped", "Problem with my PC", "HR system: a b", "Printer em out", "emails"]
TERMS = ["em", "EM", "pc", "a b", "hr", "xy", "printer", "email stopped", "stop", "qwzrtx"]


def _previous_shape(text: str):
    text = text.strip()
    if connection.vendor != "postgresql" or _TRIGRAM_WORD.search(text):
        return Q(title__icontains=text)
    return _WordStartsWith(Value(text.upper()), Upper("title")) & Q(title__icontains=text)


@pytest.fixture
def old_matches_then_recent_others(requester, other_requester):
    for n, title in enumerate(OLD_TITLES * 2):
        services.ticket_create(
            requester=requester if n % 2 else other_requester, title=title, description="d"
        )
    for n in range(30):
        services.ticket_create(
            requester=requester if n % 3 else other_requester,
            title=f"Bench ticket {n}",
            description="d",
        )


@pytest.mark.parametrize("ordering", [("-id",), ("priority", "-id"), ("id",)])
def test_a_search_finds_the_same_rows_in_the_same_order_as_before(
    old_matches_then_recent_others, agent_l1, agent_l2, requester, other_requester, ordering
):
    for user in (agent_l1, agent_l2, requester, other_requester):
        for term in TERMS:
            found = list(
                ticket_list(user=user, filters=TicketFilters(search=term))
                .order_by(*ordering)
                .values_list("id", flat=True)
            )
            before = list(
                ticket_list(user=user, filters=TicketFilters())
                .filter(_previous_shape(term))
                .order_by(*ordering)
                .values_list("id", flat=True)
            )
            assert found == before, (user.username, term)
    assert ticket_list(user=requester, filters=TicketFilters(search="em")).exists()
    assert not ticket_list(user=agent_l1, filters=TicketFilters(search="xy")).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm")
def test_the_like_is_tested_before_the_word_similarity():
    sql, _ = Ticket.objects.filter(title_search_filter("em")).query.sql_with_params()
    assert sql.index(" LIKE ") < sql.index("<%")


# Issue 19 item 3, bounded: the matches lie in id buckets of 16,384 far below the newest
# tickets. `ticket_title_search_bound` must return an id at or above the newest match (in the
# same bucket) or 0 when nothing matches, and the lists must find what the match alone finds.
BUCKET = 16384


def _jump_ids_to(first_id: int) -> None:
    """The next ticket gets `first_id` (SQLite: the next id after the highest)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), %s, false)",
            [first_id],
        )


def _next_bucket() -> int:
    """The first id of a bucket above every id the sequence gave (sequences do not roll back
    with a test)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('tickets_ticket', 'id'))")
        last = cursor.fetchone()[0]
    return (last // BUCKET + 1) * BUCKET


@pytest.fixture
def matches_far_below(requester, other_requester):
    """Old matches in a first bucket B, one "Wireless printer" in bucket B + 5, runs of recent
    tickets that match nothing in buckets B + 2 and B + 11 (the newest)."""
    base = _next_bucket()
    _jump_ids_to(base + 1)
    for n, title in enumerate(OLD_TITLES * 2):
        services.ticket_create(
            requester=requester if n % 2 else other_requester, title=title, description="d"
        )
    _jump_ids_to(base + 2 * BUCKET + 10)
    for n in range(30):
        services.ticket_create(requester=requester, title=f"Bench ticket {n}", description="d")
    _jump_ids_to(base + 5 * BUCKET + 100)
    services.ticket_create(requester=other_requester, title="Wireless printer", description="d")
    _jump_ids_to(base + 11 * BUCKET + 3)
    for n in range(30):
        services.ticket_create(
            requester=requester if n % 3 else other_requester,
            title=f"Bench ticket {n}",
            description="d",
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ticket_title_search_bound")
@pytest.mark.parametrize("term", [*TERMS, "wireless", "bench", "ticket 2", "100%", "a_b"])
def test_the_bound_is_in_the_bucket_of_the_newest_match(matches_far_below, term):
    newest = (
        Ticket.objects.filter(title_match_filter(term)).order_by("-id").values_list("id", flat=True)
    ).first()
    top = Ticket.objects.order_by("-id").values_list("id", flat=True).first()
    with connection.cursor() as cursor:
        word = None if _TRIGRAM_WORD.search(term) else term.upper()
        cursor.execute(
            "SELECT ticket_title_search_bound(%s, %s)",
            [f"%{connection.ops.prep_for_like_query(term)}%", word],
        )
        bound = cursor.fetchone()[0]
    if newest is None:
        assert bound == 0
    elif newest // BUCKET == top // BUCKET:
        assert bound == top
    else:
        assert bound == (newest // BUCKET + 1) * BUCKET - 1
    assert newest is None or newest <= bound


@pytest.mark.parametrize("ordering", [("-id",), ("priority", "-id"), ("id",)])
def test_a_search_far_below_the_newest_tickets_finds_what_the_match_finds(
    matches_far_below, agent_l1, agent_l2, requester, other_requester, ordering
):
    terms = [*TERMS, "wireless", "bench", "ticket 2", "100%", "a_b"]
    for user in (agent_l1, agent_l2, requester, other_requester):
        for term in terms:
            found = list(
                ticket_list(user=user, filters=TicketFilters(search=term))
                .order_by(*ordering)
                .values_list("id", flat=True)
            )
            expected = list(
                ticket_list(user=user, filters=TicketFilters())
                .filter(title_match_filter(term))
                .order_by(*ordering)
                .values_list("id", flat=True)
            )
            assert found == expected, (user.username, term)
            # A page from a cursor (keyset pagination), as the lists ask for it.
            if len(expected) > 2 and ordering == ("-id",):
                page = list(
                    ticket_list(user=user, filters=TicketFilters(search=term))
                    .filter(pk__lt=expected[1])
                    .order_by("-id")[:2]
                    .values_list("id", flat=True)
                )
                assert page == expected[2:4]
    assert ticket_list(user=agent_l1, filters=TicketFilters(search="printer")).count() == 3


def test_the_api_and_the_console_find_old_matches_behind_recent_tickets(
    matches_far_below, api, agent_l1, client
):
    response = api(agent_l1).get("/api/tickets/?q=printer&page_size=3")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["title"] for row in rows] == [
        "Wireless printer",
        "Printer em out",
        "Printer em out",
    ], rows
    client.force_login(agent_l1)
    response = client.get("/console/?status=all&q=printer")
    assert response.status_code == 200
    assert b"Printer em out" in response.content
    assert b"Wireless printer" in response.content
    assert b"Bench ticket" not in response.content


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ticket_title_search_bound")
def test_the_list_query_bounds_its_walk_with_one_initplan():
    sql, _ = Ticket.objects.filter(title_search_filter("printer")).query.sql_with_params()
    assert sql.count("ticket_title_search_bound") == 1
    assert '("tickets_ticket"."id" <= ANY (ARRAY(SELECT ticket_title_search_bound(' in sql
