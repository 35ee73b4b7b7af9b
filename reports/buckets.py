"""The trend's days or weeks of a period, and the SQL that puts a timestamp in one of them."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.db import connection
from django.db.models import DateTimeField, Expression, F, Func, IntegerField
from django.db.models.functions import Trunc, TruncWeek
from django.utils import timezone

from reports.forms import Period


class WidthBucket(Func):
    """PostgreSQL's `width_bucket(ts, thresholds)`: how many thresholds are ≤ ts, found by
    binary search. Several times cheaper per row than truncating in a time zone."""

    output_field = IntegerField()

    def __init__(
        self, expression: Any, *, thresholds: list[datetime] | list[date], of: str = "timestamptz"
    ) -> None:
        super().__init__(expression)
        self.thresholds = thresholds
        self.of = of  # the SQL type of the thresholds: "timestamptz" or "date"

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        return f"width_bucket({sql}, %s::{self.of}[])", [*params, self.thresholds]


@dataclass(frozen=True)
class Buckets:
    """Local days or Monday-started weeks covering [start, end), in the current time zone."""

    starts: list[date]
    step: str  # "day" or "week"
    zone: tzinfo

    @classmethod
    def of(cls, period: Period) -> "Buckets":
        zone = timezone.get_current_timezone()
        first = timezone.localtime(period.start, zone).date()
        last_moment = max(period.end - timedelta(microseconds=1), period.start)
        last = timezone.localtime(last_moment, zone).date()
        step = timedelta(days=1)
        if period.bucket == "week":
            first -= timedelta(days=first.weekday())
            step = timedelta(days=7)
        starts = []
        while first <= last:
            starts.append(first)
            first += step
        return cls(starts=starts, step=period.bucket, zone=zone)

    def midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.zone)

    def expression(self, column: str | Expression) -> Any:
        """The bucket of a timestamp column: its index in `starts` on PostgreSQL, a local
        truncation elsewhere (`date_of` reads both)."""
        source = F(column) if isinstance(column, str) else column
        if connection.vendor == "postgresql":
            return WidthBucket(source, thresholds=[self.midnight(d) for d in self.starts[1:]])
        return Trunc(source, self.step, output_field=DateTimeField(), tzinfo=self.zone)

    def date_of(self, value: int | datetime | date) -> date:
        if isinstance(value, int):
            return self.starts[min(max(value, 0), len(self.starts) - 1)]
        if isinstance(value, datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value, self.zone)
            return value.date()
        return value

    def day_expression(self, column: str) -> Any:
        """The bucket of a date column (whole local days): the day itself, or its week."""
        if self.step == "day":
            return F(column)
        if connection.vendor == "postgresql":
            return WidthBucket(F(column), thresholds=self.starts[1:], of="date")
        return TruncWeek(column)
