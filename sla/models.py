"""SLA policies, calendars, the clocks of each ticket and the events the sweep records."""

from collections.abc import Mapping
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from escalation.models import POSITION_MAX
from sla.calendars import ALWAYS_OPEN, WorkingCalendar, add_business_time, business_hours
from tickets.models_choices import Kind, Priority


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_CLOCK_STATES = [ClockState.RUNNING, ClockState.PAUSED]
STOPPED_CLOCK_STATES = [ClockState.MET, ClockState.BREACHED, ClockState.CANCELLED]

# An SLA target's durations (SlaTarget's fields; a None one is not measured).
TARGET_FIELDS = ("first_response", "next_response", "resolution")

# The longest SLA or OLA target the services accept. Without a bound a target such as
# "999999999 00:00:00" was saved and every ticket it then applied to failed (its due time
# beyond the year 9999), and a business-hours calendar finds no due time for one that needs
# more than three years of opening hours (sla.calendars.MAX_DAYS).
MAX_TARGET_DAYS = 90
MAX_TARGET = timedelta(days=MAX_TARGET_DAYS)


def target_too_long_message() -> str:
    """The services' refusal of a target longer than MAX_TARGET (SLA and OLA alike)."""
    return gettext("Targets can be at most %(days)d days.") % {"days": MAX_TARGET_DAYS}


def target_unreachable_message() -> str:
    """The services' refusal of a target the chosen business hours never reach."""
    return gettext(
        "With these business hours the target is not reached within three years: choose a "
        "shorter target or a calendar with more opening hours."
    )


def validate_target_length(value: timedelta | None) -> None:
    """The same bound for the admin's forms, which save targets without the services."""
    if value is not None and value > MAX_TARGET:
        raise ValidationError(target_too_long_message(), code="max_value")


# The admin's duration fields of SLA and OLA targets: bounded as the services bound them.
TARGET_FORMFIELD_OVERRIDES: "Mapping[type[models.Field[Any, Any]], Mapping[str, Any]]" = {
    models.DurationField: {"validators": [validate_target_length]}
}


class SlaEventKind(models.TextChoices):
    WARNING75 = "warning75", _("75 % of the target used")
    WARNING90 = "warning90", _("90 % of the target used")
    BREACH = "breach", _("Target breached")


# The thresholds the sweep looks for, as (percent of the target, event kind).
LEVEL_KINDS = {75: SlaEventKind.WARNING75, 90: SlaEventKind.WARNING90, 100: SlaEventKind.BREACH}


def _validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value}) from None


class Calendar(models.Model):
    """Business hours in a time zone, minus holidays. A policy without one runs 24×7."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Madrid", validators=[_validate_time_zone]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business-hours calendar")
        verbose_name_plural = _("business-hours calendars")

    def __str__(self) -> str:
        return self.name

    def working_calendar_weekly(self) -> dict[int, list[tuple[time, time]]]:
        """The stored opening hours by weekday (0 = Monday)."""
        weekly: dict[int, list[tuple[time, time]]] = {}
        for hours in self.hours.all():
            weekly.setdefault(hours.weekday, []).append((hours.opens, hours.closes))
        return weekly

    def working_calendar(self) -> WorkingCalendar:
        """The pure calendar; callers prefetch `hours` and `holidays`."""
        weekly = self.working_calendar_weekly()
        holidays: set[date] = {holiday.date for holiday in self.holidays.all()}
        return business_hours(time_zone=self.time_zone, weekly=weekly, holidays=holidays)


def hours_reach(calendar: WorkingCalendar, amount: timedelta) -> bool:
    """Whether these business hours give a clock of `amount` started now its due time."""
    try:
        add_business_time(calendar, timezone.now(), amount)
    except ValueError:
        return False
    return True


def calendar_hours_of(calendar: "Calendar | None") -> WorkingCalendar | None:
    """The business hours a target is counted in, read once (each check is then arithmetic):
    24×7 without a calendar, None for a calendar without any opening hours (it reaches nothing)."""
    if calendar is None:
        return ALWAYS_OPEN
    try:
        return calendar.working_calendar()
    except ValueError:
        return None


def target_error(value: timedelta | None, *, hours: WorkingCalendar | None = ALWAYS_OPEN) -> str:
    """Why an SLA or OLA target duration is refused ("" if it is not): zero or less, with a
    fraction of a second, longer than MAX_TARGET, or never reached on these business hours
    (`calendar_hours_of`). The services and the admin forms all ask this."""
    if value is None:
        return ""
    if value <= timedelta(0):
        return gettext("Targets must be longer than zero.")
    if value % timedelta(seconds=1):
        # "0.5" (half a second) or "00:15:00.25" was saved: a clock no one can meet, shown
        # as "0:00:00.500000" in the admin and "0 s" on the ticket, its due time rounded away.
        return gettext("Targets are counted in whole seconds: leave out the fraction of a second.")
    if value > MAX_TARGET:
        return target_too_long_message()
    if hours is None or not hours_reach(hours, value):
        return target_unreachable_message()
    return ""


def target_order_error(
    *,
    priority: int,
    first_response: timedelta | None,
    next_response: timedelta | None,
    resolution: timedelta | None,
) -> str:
    """Why a priority's targets contradict each other ("" if they do not): a response target
    longer than the resolution target of the same priority (first response 2 h, resolution
    1 h) promises an answer after the promised fix. DESIGN.md's defaults keep both responses
    at or under resolution (next response = first response); equal targets are fine."""
    if resolution is None:
        return ""
    label = Priority(priority).label if priority in Priority.values else str(priority)
    if first_response is not None and first_response > resolution:
        return gettext(
            "%(priority)s: the first response target cannot be longer than the resolution target."
        ) % {"priority": label}
    if next_response is not None and next_response > resolution:
        return gettext(
            "%(priority)s: the next response target cannot be longer than the resolution target."
        ) % {"priority": label}
    return ""


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class CalendarHours(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"), help_text=_("00:00 means midnight (end of the day)."))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")) | Q(closes=time(0)),
                name="sla_hours_close_after_open",
                # Shown in the admin form; Django's default names the constraint.
                violation_error_message=_(
                    "The closing time must be after the opening time (00:00 means midnight)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="sla_hours_weekday_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Holiday(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_holiday_unique_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SlaPolicy(models.Model):
    """Targets per priority for the tickets it matches; the first matching policy wins.

    Empty criteria match everything. A policy matches a ticket only if it has a target for the
    ticket's priority, so a contract may cover some priorities and leave the rest to the default.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    position = models.PositiveIntegerField(
        _("order"),
        default=100,
        validators=[MaxValueValidator(POSITION_MAX)],
        help_text=_("Policies are tried from the lowest number up."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, blank=True)
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Matches the category and its subcategories."),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("requester organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    calendar = models.ForeignKey(
        Calendar,
        verbose_name=_("business hours"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        help_text=_("Empty: the clocks run 24×7."),
    )
    escalate_on_breach = models.BooleanField(
        _("escalate one tier on a resolution breach"), default=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority)
    first_response = models.DurationField(_("first response"))
    next_response = models.DurationField(
        _("next response"), null=True, blank=True, help_text=_("Empty: as first response.")
    )
    resolution = models.DurationField(_("resolution"))

    class Meta:
        ordering = ["policy", "priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "priority"], name="sla_target_unique_priority"
            ),
            models.CheckConstraint(
                condition=Q(first_response__gt=timedelta(0)) & Q(resolution__gt=timedelta(0)),
                name="sla_target_positive",
                violation_error_message=_(
                    "The first response and resolution targets must be longer than zero."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} P{self.priority}"


class SlaClock(models.Model):
    """One metric's clock for one cycle of a ticket. Times are stored, so the sweep only compares.

    `due_at`, `warning_at` (90 %) and `at_risk_at` (75 %) include the pauses that began before
    each of them; while paused they are the times as of the pause. A clock cancelled after its
    due time is breached (its state says so); cancelled at or before it, cancelled.
    `next_alert_at` is the next threshold the sweep must record (empty when there is none), and
    the partial index on it is the sweep's query.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_clocks", db_index=False
    )
    metric = models.CharField(_("metric"), max_length=20, choices=Metric)
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority)
    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    calendar = models.ForeignKey(
        Calendar, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"))
    target = models.DurationField(_("target"))
    paused = models.DurationField(_("paused time"), default=timedelta)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    # Each finished pause as [start, end] (ISO 8601), in order: a pause moves only the moments
    # (75 %, 90 %, due) it began before, so a new target needs them one by one.
    # (a database default too, for bulk writers in SQL)
    pauses = models.JSONField(_("pauses"), default=list, db_default=[], blank=True)
    at_risk_at = models.DateTimeField(_("75 % at"))
    warning_at = models.DateTimeField(_("90 % at"))
    due_at = models.DateTimeField(_("due at"))
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ClockState, default=ClockState.RUNNING
    )
    alert_level = models.PositiveSmallIntegerField(
        _("highest threshold recorded"), default=0, help_text=_("0, 75, 90 or 100 (breach).")
    )
    next_alert_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ticket", "metric", "cycle"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        indexes = [
            # The sweep: WHERE next_alert_at <= now ORDER BY next_alert_at LIMIT n.
            models.Index(
                fields=["next_alert_at"],
                name="sla_clock_sweep_idx",
                condition=Q(next_alert_at__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "cycle"], name="sla_clock_unique_cycle"
            ),
            models.UniqueConstraint(
                fields=["ticket", "metric"],
                condition=Q(state__in=OPEN_CLOCK_STATES),
                name="sla_clock_one_open_per_metric",
            ),
            models.CheckConstraint(
                condition=Q(state__in=OPEN_CLOCK_STATES, stopped_at__isnull=True)
                | Q(state__in=STOPPED_CLOCK_STATES, stopped_at__isnull=False),
                name="sla_clock_stopped_iff_final",
            ),
            models.CheckConstraint(
                condition=Q(state=ClockState.PAUSED, paused_since__isnull=False)
                | (~Q(state=ClockState.PAUSED) & Q(paused_since__isnull=True)),
                name="sla_clock_paused_since_iff_paused",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} #{self.cycle} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_CLOCK_STATES


class SlaEvent(models.Model):
    """A threshold a clock passed, recorded once (the unique constraint) by the sweep.

    Keyed by ticket, metric and cycle rather than by clock row, so rebuilding the clocks
    (`sla_recompute`) never records or notifies a threshold twice. `applied_at` is set in the
    transaction that performs the effects (timeline, notifications, escalation).
    """

    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        related_name="sla_events",
        db_index=False,  # the unique constraint's index starts with the ticket
        # No database constraint: its check would take a KEY SHARE lock on the ticket row while
        # the sweep holds clock locks, and a ticket write holds the row FOR UPDATE while it
        # waits for those clocks — a deadlock. Django's collector still cascades deletes.
        db_constraint=False,
    )
    metric = models.CharField(_("metric"), max_length=20, choices=Metric)
    cycle = models.PositiveSmallIntegerField(_("cycle"))
    kind = models.CharField(_("kind"), max_length=10, choices=SlaEventKind)
    due_at = models.DateTimeField(_("due at"))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    applied_at = models.DateTimeField(_("effects applied at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        indexes = [
            models.Index(
                fields=["id"],
                name="sla_event_pending_idx",
                condition=Q(applied_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "cycle", "kind"], name="sla_event_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} #{self.cycle} {self.kind}"


class SlaOutcome(models.Model):
    """A clock's verdict for the dashboards, one per ticket, metric and cycle: met when it
    stopped in time (by the ticket change that stopped it), breached at its due time when the
    sweep recorded its breach. It follows the clock: a recompute that moves the due time or
    changes the outcome revises it (`sla.outcomes.outcomes_revise`).

    It keeps the ticket's kind, priority, tier, category and group as they were when it was
    recorded (or last revised), so `SlaOutcomeDay` can add it up once. Category and
    group are plain ids, 0 for none (the day table's unique key needs a value).
    """

    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint's index starts with the ticket
        db_constraint=False,  # as SlaEvent: no KEY SHARE lock on the ticket from the sweep
    )
    metric = models.CharField(_("metric"), max_length=20, choices=Metric)
    cycle = models.PositiveSmallIntegerField(_("cycle"))
    met = models.BooleanField(_("met"))
    at = models.DateTimeField(
        _("decided at"), help_text=_("Stopped at if met, due at if breached.")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority)
    tier = models.PositiveSmallIntegerField(_("tier"))
    category_id = models.IntegerField(_("category"), default=0)
    support_group_id = models.IntegerField(_("group"), default=0)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("SLA outcome")
        verbose_name_plural = _("SLA outcomes")
        indexes = [models.Index(fields=["at"], name="sla_outcome_at_idx")]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric", "cycle"], name="sla_outcome_once"),
        ]

    def __str__(self) -> str:
        verdict = "met" if self.met else "breached"
        return f"{self.ticket_id} {self.metric} #{self.cycle} {verdict}"


class SlaOutcomeDay(models.Model):
    """Outcomes added up per day (in settings.TIME_ZONE) and dimension: what the dashboard
    reads for whole days, so a 90-day page sums a few thousand rows instead of every clock."""

    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=20, choices=Metric)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority)
    tier = models.PositiveSmallIntegerField(_("tier"))
    category_id = models.IntegerField(_("category"), default=0)
    support_group_id = models.IntegerField(_("group"), default=0)
    met = models.PositiveIntegerField(_("met"), default=0)
    breached = models.PositiveIntegerField(_("breached"), default=0)

    class Meta:
        ordering = ["day"]
        verbose_name = _("SLA outcomes of a day")
        verbose_name_plural = _("SLA outcomes per day")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "day",
                    "metric",
                    "kind",
                    "priority",
                    "tier",
                    "category_id",
                    "support_group_id",
                ],
                name="sla_outcome_day_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric}: {self.met} met, {self.breached} breached"
