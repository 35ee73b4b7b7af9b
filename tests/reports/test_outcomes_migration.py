"""The backfill of migration sla 0003_outcomes: set-based SQL on PostgreSQL, Python on the
historical models elsewhere; both give what the app records live (issue 19 item 5)."""

import importlib
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from sla.models import SlaOutcome, SlaOutcomeDay
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
