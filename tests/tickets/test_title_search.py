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
    ticket_search_filter,
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
def test_the_containment_is_tested_before_the_word_similarity():
    # Stop 28: a short term's containment is NOT textnlike(…), no longer the LIKE operator (see
    # test_a_short_term_is_counted_once); it is still written, and tested, first.
    queryset = Ticket.objects.filter(title_search_filter("em")).values("id")
    sql, params = queryset.query.sql_with_params()
    assert sql.index("NOT textnlike(") < sql.index("<%")
    assert " LIKE " not in sql
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert plan.index("textnlike") < plan.index("<%"), plan


def _copies(of: int, count: int, title_sql: str) -> None:
    """`count` copies of ticket `of` (titles from `title_sql` over n), inserted in SQL."""
    columns = [f.column for f in Ticket._meta.concrete_fields if f.column != "id"]
    copied = ", ".join(
        {"title": title_sql, "tracking_token": "md5(n::text || random()::text)"}.get(c, c)
        for c in columns
    )
    with connection.cursor() as cursor:
        insert = f"INSERT INTO tickets_ticket ({', '.join(columns)}) SELECT {copied} "
        cursor.execute(
            insert + "FROM tickets_ticket, generate_series(1, %s) AS n WHERE id = %s", [count, of]
        )


def _estimated_rows(condition: Q) -> int:
    sql, params = Ticket.objects.filter(condition).values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        return int(cursor.fetchone()[0][0]["Plan"]["Plan Rows"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics")
def test_a_short_term_is_counted_once(requester):
    """Stop 28: the planner's count of a short term's matches is the word similarity's, not
    that times the LIKE's (one condition counted twice: 10 % of the titles estimated at 1 %,
    and the open queue read every match instead of walking). 2,000 tickets, 10 % match."""
    ticket = services.ticket_create(requester=requester, title="Bench ticket", description="d")
    _copies(ticket.pk, 1799, "'Bench ticket ' || n")
    _copies(ticket.pk, 200, "'Email stopped ' || n")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")
    assert Ticket.objects.filter(title_match_filter("em")).count() == 200
    assert _estimated_rows(title_match_filter("em")) >= 100
    # What the LIKE beside the word similarity was counted at (the previous shape).
    assert _estimated_rows(_previous_shape("em")) < 50


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


@pytest.fixture(autouse=True)
def _ids_restored():
    """Put the ticket id sequence back after each test: the jumps below would otherwise carry
    later tests of the same database past INC-999999 (their rows are rolled back, so the ids
    can be given again)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('tickets_ticket', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 (catalog name)
        last_value, is_called = cursor.fetchone()
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), %s, %s)",
            [last_value, is_called],
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


MORE_TERMS = ["wireless", "bench", "ticket 2", "100%", "a_b", "e", "a", "w", "zzzqx"]


def _bound(term: str) -> int:
    with connection.cursor() as cursor:
        word = None if _TRIGRAM_WORD.search(term) else term.upper()
        cursor.execute(
            "SELECT ticket_title_search_bound(%s, %s)",
            [f"%{connection.ops.prep_for_like_query(term)}%", word],
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ticket_title_search_bound")
@pytest.mark.parametrize("term", [*TERMS, *MORE_TERMS])
def test_the_bound_is_the_newest_match(matches_far_below, term):
    # Stop 28 (tickets 0010): the newest match's id itself, no longer the end of its bucket
    # (the top id when that was the newest bucket); 0 when nothing matches.
    newest = (
        Ticket.objects.filter(title_match_filter(term)).order_by("-id").values_list("id", flat=True)
    ).first()
    assert _bound(term) == (newest or 0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ticket_title_search_bound")
def test_the_bound_finds_the_newest_match_below_a_thousand_recent_tickets(requester):
    """The newest match 1,100 tickets below the top of its bucket: not among the 1,024 tickets
    the function walks first, so it comes from the trigram index's bucket."""
    base = _next_bucket()
    _jump_ids_to(base + 3)
    services.ticket_create(requester=requester, title="Email stopped", description="d")
    services.ticket_create(requester=requester, title="Printer em out", description="d")
    newest = Ticket.objects.order_by("-id").values_list("id", flat=True).first()
    _copies(newest, 1100, "'Bench ticket ' || n")
    top = Ticket.objects.order_by("-id").values_list("id", flat=True).first()
    assert top - newest == 1100
    assert top // BUCKET == newest // BUCKET
    assert _bound("em") == newest
    assert _bound("printer") == newest
    assert _bound("email") == newest - 1
    assert _bound("bench") == top
    assert _bound("xy") == 0


@pytest.mark.parametrize("ordering", [("-id",), ("priority", "-id"), ("id",)])
def test_a_search_far_below_the_newest_tickets_finds_what_the_match_finds(
    matches_far_below, agent_l1, agent_l2, requester, other_requester, ordering
):
    terms = [*TERMS, *MORE_TERMS]
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


# Stop 28: the console's own paging (every sort, every cursor) over short and long terms finds
# what the match alone finds, in the same order.
CONSOLE_ORDER = {"newest": ("-id",), "oldest": ("id",), "priority": ("priority", "-id")}


@pytest.mark.parametrize("sort", list(CONSOLE_ORDER))
def test_the_console_pages_through_a_search_as_through_the_match(
    matches_far_below, agent_l1, monkeypatch, sort
):
    from django.http import QueryDict
    from django.utils.http import urlencode

    from tickets.views import console_queue

    monkeypatch.setattr(console_queue, "PAGE_SIZE", 2)
    for n, pk in enumerate(Ticket.objects.order_by("id").values_list("id", flat=True)):
        Ticket.objects.filter(pk=pk).update(priority=1 + n % 4)  # pages cross priorities
    for term in ["em", "e", "a", "a b", "pc", "hr", "xy", "printer", "bench", "email stopped"]:
        query = {"queue": "l1", "sort": sort}
        unbounded = console_queue.queue_queryset(
            agent_l1, console_queue.queue_params_from(QueryDict(urlencode(query)), user=agent_l1)
        )
        expected = list(
            unbounded.filter(title_match_filter(term))
            .order_by(*CONSOLE_ORDER[sort])
            .values_list("id", flat=True)
        )
        found: list[int] = []
        cursor = ""
        for _page in range(40):
            get = QueryDict(urlencode({**query, "q": term, "cursor": cursor}))
            params = console_queue.queue_params_from(get, user=agent_l1)
            rows, cursor = console_queue._paginate(
                console_queue.queue_queryset(agent_l1, params), params
            )
            found += [row.pk for row in rows]
            if not cursor:
                break
        assert found == expected, (sort, term)
        if connection.vendor == "postgresql" and term in ("em", "printer", "bench"):
            assert len(expected) > 2, term  # more than one page


# A search by a number finds the ticket it names and the titles containing the number, in the
# list's order, also when both lie far below the newest tickets (the bound is the newest of them).
@pytest.mark.parametrize("ordering", [("-id",), ("priority", "-id"), ("id",)])
def test_a_number_finds_its_ticket_and_the_titles_containing_it(
    matches_far_below, agent_l1, requester, ordering
):
    old = Ticket.objects.filter(title="Email stopped").order_by("id").first()
    numbered = [
        services.ticket_create(requester=requester, title=title, description="d")
        for title in (f"Error {old.pk} on intranet", f"Port {old.pk}7 closed")
    ]
    for typed in (str(old.pk), f"#{old.pk}", old.reference):
        found = list(
            ticket_list(user=agent_l1, filters=TicketFilters(search=typed))
            .order_by(*ordering)
            .values_list("id", flat=True)
        )
        title_term = typed if typed == old.reference else str(old.pk)
        expected = list(
            ticket_list(user=agent_l1, filters=TicketFilters())
            .filter(title_match_filter(title_term) | Q(pk=old.pk))
            .order_by(*ordering)
            .values_list("id", flat=True)
        )
        assert found == expected, typed
        assert old.pk in found
        assert {t.pk for t in numbered} <= set(found) or typed == old.reference


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ticket_title_search_bound")
def test_a_search_by_number_is_bounded_by_one_initplan_too():
    sql, _ = Ticket.objects.filter(ticket_search_filter("#404")).query.sql_with_params()
    assert sql.count("ticket_title_search_bound") == 1
    assert '"tickets_ticket"."id" <= ANY (ARRAY(SELECT GREATEST(ticket_title_search_bound(' in sql


def test_a_number_above_every_id_finds_the_titles_containing_it(tickets, requester):
    # The named ticket does not exist: the bound is the newest title match's, not the number.
    beyond = Ticket.objects.order_by("-id").values_list("id", flat=True).first() + 1000
    numbered = services.ticket_create(
        requester=requester, title=f"Old ticket {beyond}", description="d"
    )
    services.ticket_create(requester=requester, title="Newer", description="d")
    found = Ticket.objects.filter(ticket_search_filter(str(beyond))).values_list("id", flat=True)
    assert list(found) == [numbered.pk]
