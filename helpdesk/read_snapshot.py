"""One transaction for a page's reads that takes no write lock on the embedded SQLite database.

`make run` opens every SQLite transaction with BEGIN IMMEDIATE (settings: transaction_mode),
so that a write never fails half-way on a lock it cannot upgrade to. For a page that only reads
but wants its queries to agree (one snapshot) that meant taking the database's write lock: the
SLA dashboard waited for any write of the worker, of beat or of another request (up to the
busy timeout, 10 s, then a 503), and held up every writer while it added up its figures. Here
the transaction begins DEFERRED: in WAL mode it reads one snapshot and neither waits for nor
blocks a writer. On PostgreSQL (and inside a transaction already open) it is `atomic()`.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction


@contextmanager
def read_snapshot(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """A transaction for reads only: nothing inside it may write."""
    connection = connections[using]
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic(using=using):
            yield
        return
    connection.ensure_connection()  # connecting sets transaction_mode from the settings
    mode = connection.transaction_mode  # type: ignore[attr-defined]
    connection.transaction_mode = "DEFERRED"  # type: ignore[attr-defined]
    try:
        with transaction.atomic(using=using):  # BEGIN DEFERRED
            connection.transaction_mode = mode  # type: ignore[attr-defined]
            yield
    finally:
        connection.transaction_mode = mode  # type: ignore[attr-defined]
