"""A cursor for the statements a process builds once and runs on every request (a ticket's
INSERTs, the API token's lookup): on PostgreSQL each is prepared once per connection, so
PostgreSQL parses and plans it once instead of on every request.

Django's cursors bind parameters on the client (the default, kept for every other query): the
server then parses and plans every statement anew. For the create path that was ~0.5 ms of
PostgreSQL's CPU per ticket of ~1.8 (bench/RESULTS.md, stop 33). These statements name their
columns, so a migration that adds a column does not change what a prepared one returns (the
case in which PostgreSQL refuses to reuse a plan). On other databases: Django's own cursor.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.db import connections
from django.db.backends.utils import CursorWrapper

ONLY_WHEN_ASKED = 2**31
# Statements of at most this many rows are prepared: the ones a request writes (a ticket, its
# event, its clocks). A sweep's batches come in every size, and each size would be one more
# prepared statement kept by the server for the connection's life.
FEW_ROWS = 8


@contextmanager
def prepared_cursor(using: str, *, rows: int = 1) -> Iterator[CursorWrapper]:
    """Django's cursor wrapper (query logging, execute wrappers, errors as Django's) around a
    server-side-binding psycopg cursor that prepares every statement it runs; Django's own
    cursor for a statement of more than FEW_ROWS `rows`."""
    connection = connections[using]
    if connection.vendor != "postgresql" or rows > FEW_ROWS:
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    database = connection.connection
    if database.prepare_threshold is None:
        # Django opens its connections with preparing off; on, by a count no statement reaches,
        # only the statements run here (prepare=True) are prepared. Django's client-side cursors
        # never prepare.
        database.prepare_threshold = ONLY_WHEN_ASKED
    raw = _preparing_cursor_class()(database)
    # Django's own step from a database cursor to its wrapper (BaseDatabaseWrapper.cursor()).
    cursor = connection._prepare_cursor(raw)  # type: ignore[attr-defined]
    try:
        yield cursor
    finally:
        cursor.close()


@cache
def _preparing_cursor_class() -> type:
    import psycopg  # only where PostgreSQL is used: the embedded default is SQLite

    class PreparingCursor(psycopg.Cursor):  # type: ignore[type-arg]
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs["prepare"] = True
            return super().execute(query, params, **kwargs)

        def _send_query_prepared(self, name: bytes, pgq: Any, **kwargs: Any) -> None:
            # What Django's query log reads (last_executed_query): psycopg sets it only for a
            # statement it does not prepare. The text with $1, $2…, not the values.
            self._query = pgq
            super()._send_query_prepared(name, pgq, **kwargs)

    return PreparingCursor
