"""The statements a request writes are prepared once per connection on PostgreSQL
(helpdesk.prepared): parsed and planned once, not on every request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk.inserts import insert_rows
from tickets import services
from tickets.models import Category

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's prepared statements"
    ),
]


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_ticket_create_prepares_its_inserts_once(requester):
    services.ticket_create(requester=requester, title="VPN", description="Down.")
    statements = _prepared()
    ticket_inserts = [s for s in statements if s.startswith('INSERT INTO "tickets_ticket" ')]
    assert len(ticket_inserts) == 1
    assert any(s.startswith('INSERT INTO "tickets_ticketevent"') for s in statements)
    assert any(s.startswith('INSERT INTO "sla_slaclock"') for s in statements)

    with CaptureQueriesContext(connection) as second:
        services.ticket_create(requester=requester, title="Mail", description="Bounces.")
    assert _prepared() == statements  # the same statements, reused
    # Still seen by Django's query log, with their text (the query budgets count them).
    logged = [q["sql"] for q in second.captured_queries]
    assert None not in logged
    assert any(sql.startswith('INSERT INTO "tickets_ticket" ') for sql in logged)


def test_a_statement_of_many_rows_is_not_prepared():
    insert_rows([Category(name=f"Batch {n}") for n in range(9)])
    assert not [s for s in _prepared() if s.startswith('INSERT INTO "tickets_category"')]
    insert_rows([Category(name="One more")])
    assert [s for s in _prepared() if s.startswith('INSERT INTO "tickets_category"')]


def test_an_error_is_djangos_and_the_transaction_goes_on(requester):
    from django.db import IntegrityError, transaction

    (first,) = insert_rows([Category(name="Kept")])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([Category(name=None)])  # NOT NULL
    assert Category.objects.filter(pk=first.pk, name="Kept").exists()
    insert_rows([Category(name="After")])
