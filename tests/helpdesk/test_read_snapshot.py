"""helpdesk/read_snapshot.py on the embedded SQLite database (`make run`): a report's reads in
one transaction no longer take the database's write lock, so they neither wait for a writer
(the worker, beat, another request) nor hold one up; other transactions still begin IMMEDIATE."""

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connections, transaction

from helpdesk.embedded_sqlite.base import DatabaseWrapper
from helpdesk.read_snapshot import read_snapshot
from reports import selectors

ALIAS = "embedded_snapshot_test"


@pytest.fixture
def embedded(tmp_path, django_db_blocker) -> Iterator[tuple[DatabaseWrapper, str]]:
    """A connection of the embedded backend with the demo's options (a short busy timeout), on
    a database with one table; and the path of the database file."""
    path = str(tmp_path / "demo.sqlite3")
    setup = sqlite3.connect(path)
    setup.executescript(
        "PRAGMA journal_mode=WAL; CREATE TABLE t (n integer); INSERT INTO t VALUES (1);"
    )
    setup.close()
    settings_dict: dict[str, Any] = {
        **connections["default"].settings_dict,
        "ENGINE": "helpdesk.embedded_sqlite",
        "NAME": path,
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=200;",
            "transaction_mode": "IMMEDIATE",
        },
    }
    wrapper = DatabaseWrapper(settings_dict, alias=ALIAS)
    connections[ALIAS] = wrapper
    try:
        with django_db_blocker.unblock():  # this SQLite file only, never the test database
            yield wrapper, path
    finally:
        wrapper.close()
        del connections[ALIAS]


@pytest.fixture
def writer(embedded) -> Iterator[sqlite3.Connection]:
    """Another process's write transaction, open for the whole test."""
    other = sqlite3.connect(embedded[1], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (2)")
    yield other
    other.execute("ROLLBACK")
    other.close()


def _count(wrapper: DatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t")
        return int(cursor.fetchone()[0])


def test_reads_in_a_snapshot_while_another_connection_writes(embedded, writer):
    wrapper, _ = embedded
    # A plain atomic() here waited the busy timeout and failed "database is locked".
    with read_snapshot(using=ALIAS):
        assert wrapper.in_atomic_block
        assert _count(wrapper) == 1  # the committed rows, not the writer's


def test_other_transactions_still_take_the_write_lock_first(embedded, writer):
    with read_snapshot(using=ALIAS):
        pass
    with pytest.raises(OperationalError, match="locked"), transaction.atomic(using=ALIAS):
        pass  # BEGIN IMMEDIATE, as configured: the mode was put back


@pytest.mark.django_db
def test_the_sla_dashboard_reads_through_a_snapshot(monkeypatch):
    entered = []

    def snapshot():
        entered.append(True)
        return transaction.atomic()

    monkeypatch.setattr(selectors, "read_snapshot", snapshot)
    with selectors._reporting_session():
        pass
    assert entered == [True]
