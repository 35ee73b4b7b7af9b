"""The backfill of migration sla 0003_outcomes: set-based SQL on PostgreSQL, Python on the
historical models elsewhere; both give what the app records live (issue 19 item 5)."""

import importlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader

from sla.models import SlaClock, SlaOutcome, SlaOutcomeDay
from sla.sweep import sla_record_due
from tests.reports.conftest import NOW
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

migration = importlib.import_module("sla.migrations.0003_outcomes")


def _recorded():
    return (
        set(
            SlaOutcome.objects.values_list(
                "ticket_id",
                "metric",
                "cycle",
                "met",
                "at",
                "kind",
                "priority",
                "tier",
                "category_id",
                "support_group_id",
            )
        ),
        set(
            SlaOutcomeDay.objects.values_list(
                "day",
                "metric",
                "kind",
                "priority",
                "tier",
                "category_id",
                "support_group_id",
                "met",
                "breached",
            )
        ),
        dict(Ticket.objects.filter(resolved_at__isnull=False).values_list("pk", "time_to_resolve")),
    )


def _wipe():
    SlaOutcome.objects.all().delete()
    SlaOutcomeDay.objects.all().delete()
    Ticket.objects.update(time_to_resolve=None)


@pytest.fixture
def live(day):
    sla_record_due(now=NOW)  # the breaches too
    recorded = _recorded()
    assert len(recorded[0]) > 10 and len(recorded[1]) > 2 and len(recorded[2]) == 5
    _wipe()
    return recorded


def test_the_migration_backfills_what_the_app_records(live):
    state = MigrationLoader(connection).project_state(("sla", "0003_outcomes"))
    with connection.schema_editor() as editor:
        migration.times_to_resolve(state.apps, editor)
        migration.backfill(state.apps, editor)

    assert _recorded() == live


def test_the_python_fallback_backfills_the_same(live):
    state = MigrationLoader(connection).project_state(("sla", "0003_outcomes"))
    migration._backfill_in_python(state.apps)

    assert _recorded() == live


def test_the_migration_imports_no_app_code():
    source = Path(migration.__file__).read_text()
    for app in ("sla.", "tickets.", "reports.", "accounts."):
        assert f"from {app}" not in source and f"import {app}" not in source


def _times_to_resolve():
    return dict(Ticket.objects.order_by("pk").values_list("pk", "time_to_resolve"))


class _Spy:
    """A schema editor that records each batch UPDATE and the transaction state it ran in."""

    def __init__(self, editor):
        self._editor = editor
        self.connection = editor.connection
        self.batches = []

    def execute(self, sql, params=()):
        if sql == migration.TIME_TO_RESOLVE_BATCH_SQL:
            self.batches.append(
                (tuple(params), len(self.connection.atomic_blocks), self.connection.savepoint_ids)
            )
        self._editor.execute(sql, params)


def _paused_and_second_cycle():
    """Paused time on every resolution clock, a second cycle on one ticket."""
    clocks = SlaClock.objects.filter(metric="resolution").order_by("pk")
    assert clocks.count() >= 5
    for n, clock in enumerate(clocks):
        clock.paused = timedelta(minutes=37 * n, seconds=n)
        clock.save(update_fields=["paused"])
    first = clocks.first()
    SlaClock.objects.create(
        **{
            field.attname: getattr(first, field.attname)
            for field in SlaClock._meta.concrete_fields
            if field.attname not in ("id", "cycle", "state", "stopped_at", "paused_since")
        },
        cycle=first.cycle + 1,
        state="met",
        stopped_at=first.started_at + timedelta(hours=1),
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL backfill")
def test_the_batches_give_what_the_previous_statements_gave(live):
    """sla 0003 writes the times to resolve one line of every page per UPDATE (issue 19 item 5);
    it used to be one UPDATE from the temporary table, and before that one UPDATE joined to the
    table itself. Same values: paused time on the resolution clocks, a second cycle, a value
    already there kept, the tickets not resolved untouched (a stray value stays, NULL stays)."""
    _paused_and_second_cycle()
    kept = Ticket.objects.filter(resolved_at__isnull=False).order_by("pk").first()
    Ticket.objects.filter(pk=kept.pk).update(time_to_resolve=timedelta(days=3))
    open_tickets = Ticket.objects.filter(resolved_at__isnull=True).order_by("pk")
    assert open_tickets.count() >= 2
    stray = open_tickets.first()
    Ticket.objects.filter(pk=stray.pk).update(time_to_resolve=timedelta(hours=1))

    def reset():
        Ticket.objects.filter(resolved_at__isnull=False).exclude(pk=kept.pk).update(
            time_to_resolve=None
        )

    with connection.cursor() as cursor:
        cursor.execute(migration.TIME_TO_RESOLVE_BEFORE_SQL)
    self_join = _times_to_resolve()
    reset()
    with connection.schema_editor() as editor:
        editor.execute(migration.TIME_TO_RESOLVE_TEMP_SQL, params={"pages": 1})
        editor.execute(migration.TIME_TO_RESOLVE_SQL)
        editor.execute(migration.TIME_TO_RESOLVE_DROP_SQL)
    previous = _times_to_resolve()
    reset()
    state = MigrationLoader(connection).project_state(("sla", "0003_outcomes"))
    with connection.schema_editor() as editor:
        spy = _Spy(editor)
        migration.times_to_resolve(state.apps, spy)

    assert _times_to_resolve() == previous == self_join
    assert len(spy.batches) >= 2  # one per row of a page (the rows of a page share none)
    assert self_join[kept.pk] == timedelta(days=3)
    assert self_join[stray.pk] == timedelta(hours=1)
    assert all(self_join[ticket.pk] is None for ticket in open_tickets[1:])
    resolved = Ticket.objects.filter(resolved_at__isnull=False)
    assert sum(self_join[pk] is not None for pk in resolved.values_list("pk", flat=True)) == 5
    assert len(set(self_join.values()) - {None, timedelta(hours=1)}) == 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL backfill")
@pytest.mark.django_db(transaction=True)
def test_the_batches_commit_apart_outside_a_transaction(day, monkeypatch):
    """Pruning a page needs the previous batch committed: the migration is not atomic, each
    batch commits on its own, and the verdicts (after the tables) are in one transaction."""
    assert migration.Migration.atomic is False
    first, *_, last_backfill, constraint = migration.Migration.operations
    assert isinstance(first, migrations.RunPython) and first.code is migration.times_to_resolve
    assert not first.atomic
    assert last_backfill.code is migration.backfill and last_backfill.atomic is True
    assert isinstance(constraint, migrations.AddConstraint)
    expected = _times_to_resolve()
    assert sum(value is not None for value in expected.values()) == 5
    Ticket.objects.update(time_to_resolve=None)
    monkeypatch.setattr(migration, "PRUNE_WAIT", 0.0)  # other databases' transactions

    state = MigrationLoader(connection).project_state(("sla", "0003_outcomes"))
    with connection.schema_editor(atomic=False) as editor:
        spy = _Spy(editor)
        migration.times_to_resolve(state.apps, spy)

    assert _times_to_resolve() == expected
    assert len(spy.batches) >= 2
    # Each batch in a transaction of its own (the outermost atomic block: committed at its end).
    assert {(blocks, tuple(savepoints)) for _, blocks, savepoints in spy.batches} == {(1, ())}
    order = [params for params, *_ in spy.batches]  # (chunk, line): every chunk's line 1 first
    assert order == sorted(order, key=lambda params: (params[1], params[0]))
