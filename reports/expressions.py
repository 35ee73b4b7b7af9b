"""Database expressions the dashboard aggregates with, for PostgreSQL and SQLite."""

from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db.models import Aggregate, FloatField, Func


class EpochSeconds(Func):
    """Seconds in a duration expression: an interval in PostgreSQL, microseconds in SQLite."""

    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # date_part is double precision throughout; EXTRACT computes in numeric (since
        # PostgreSQL 14), which made a 90-day scan a third slower.
        template = "date_part('epoch', %(expressions)s)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "((%(expressions)s) / 1000000.0)"
        return self.as_sql(compiler, connection, template=template, **extra)


class Percentiles(Aggregate):
    """PostgreSQL's `percentile_cont(ARRAY[f, …]) WITHIN GROUP (ORDER BY expr)`: the
    interpolated percentiles, from one sort. SQLite has no such aggregate; `reports.selectors`
    computes them there with an ordered, bounded fetch of at most two values each (the same
    interpolation)."""

    function = "percentile_cont"
    template = (
        "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"
    )
    output_field = ArrayField(FloatField())
    allow_distinct = False

    def __init__(self, expression: Any, *, fractions: tuple[float, ...], **extra: Any) -> None:
        if not all(0 <= f <= 1 for f in fractions):
            raise ValueError("fractions must be within [0, 1]")
        super().__init__(
            expression, fractions=", ".join(repr(float(f)) for f in fractions), **extra
        )
