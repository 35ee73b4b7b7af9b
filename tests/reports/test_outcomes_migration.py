"""The backfill of migration sla 0003_outcomes: set-based SQL on PostgreSQL, Python on the
historical models elsewhere; both give what the app records live (issue 19 item 5)."""

import importlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL backfill")
def test_the_time_to_resolve_statements_give_what_the_previous_one_gave(live):
    """sla 0003 computes the times to resolve into a temporary table and updates the tickets
    from it (issue 19 item 5); it used to be one UPDATE joined to the table itself. Same values,
    with paused time on several resolution clocks of a ticket, and a value already there kept."""
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
    kept = Ticket.objects.filter(resolved_at__isnull=False).order_by("pk").first()
    Ticket.objects.filter(pk=kept.pk).update(time_to_resolve=timedelta(days=3))

    with connection.cursor() as cursor:
        cursor.execute(migration.TIME_TO_RESOLVE_BEFORE_SQL)
    before = _times_to_resolve()
    Ticket.objects.exclude(pk=kept.pk).update(time_to_resolve=None)
    with connection.schema_editor() as editor:
        editor.execute(migration.TIME_TO_RESOLVE_TEMP_SQL)
        editor.execute(migration.TIME_TO_RESOLVE_SQL)
        editor.execute(migration.TIME_TO_RESOLVE_DROP_SQL)

    assert _times_to_resolve() == before
    assert before[kept.pk] == timedelta(days=3)
    resolved = Ticket.objects.filter(resolved_at__isnull=False)
    assert sum(value is not None for value in before.values()) == resolved.count() == 5
    assert len(set(before.values()) - {None}) == 5
