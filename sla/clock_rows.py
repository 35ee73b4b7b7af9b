"""What the SLA and the OLA clocks share in the database (sla.models.SlaClock and
ola.models.OlaClock have the same time columns and meanings, sla.engine): the columns the
hooks may change, and the sweep's two statements per batch — claim the due clocks, then save
each one's alert level and next look."""

from datetime import datetime
from typing import Any, TypeVar

from django.db import connection, models

# The time columns the engine writes (sla.engine.schedule and the moves of TicketClocks and
# ola.engine.TierClocks); each kind of clock adds its own target columns.
CLOCK_TIME_FIELDS = [
    *("paused", "paused_since", "pauses", "at_risk_at", "warning_at"),
    *("due_at", "stopped_at", "state", "alert_level", "next_alert_at"),
]
# What a sweep reads of a clock (sla.engine.reached_level, next_alert_at).
SWEEP_FIELDS = [
    *("id", "ticket_id", "metric", "cycle", "state", "at_risk_at", "warning_at"),
    *("due_at", "stopped_at", "paused_since", "alert_level", "next_alert_at"),
]

Clock = TypeVar("Clock", bound=models.Model)


def clocks_claim_due(
    model: type[Clock], *, now: datetime, batch_size: int, fields: list[str]
) -> list[Clock]:
    """The clocks due for a look by `now`, soonest first, claimed (`FOR UPDATE SKIP LOCKED`
    on the partial index of `next_alert_at`): other sweeps skip them, ticket writes wait.
    Call inside the batch's transaction; 1 query."""
    manager: Any = model._default_manager
    return list(
        manager.select_for_update(skip_locked=True)
        .filter(next_alert_at__lt=now)
        .order_by("next_alert_at")
        .only(*fields)[:batch_size]
    )


def clocks_move_on(model: type[models.Model], clocks: list[Any]) -> None:
    """Save each clock's alert level and next look in one statement: bulk_update's CASE WHEN
    per row costs seconds of Python for 500 rows; unnest does not."""
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(clocks, ["alert_level", "next_alert_at"])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} AS c "  # noqa: S608 (a model's table name)
            "SET alert_level = v.level, next_alert_at = v.next_at "
            "FROM unnest(%s::bigint[], %s::smallint[], %s::timestamptz[]) AS v(id, level, next_at) "
            "WHERE c.id = v.id",
            [
                [c.pk for c in clocks],
                [c.alert_level for c in clocks],
                [c.next_alert_at for c in clocks],
            ],
        )
