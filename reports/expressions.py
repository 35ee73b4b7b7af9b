"""Database expressions the dashboard aggregates with, for PostgreSQL and SQLite."""

from typing import Any

from django.db.models import Aggregate, FloatField, Func


class EpochSeconds(Func):
    """Seconds in a duration expression: an interval in PostgreSQL, microseconds in SQLite."""

    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "EXTRACT(EPOCH FROM %(expressions)s)::double precision"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "((%(expressions)s) / 1000000.0)"
        return self.as_sql(compiler, connection, template=template, **extra)


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(f) WITHIN GROUP (ORDER BY expr)`: the interpolated
    percentile. SQLite has no such aggregate; `reports.selectors` computes it there with an
    ordered, bounded fetch of at most two values (the same interpolation)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be within [0, 1]")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)
