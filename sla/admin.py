from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _

from helpdesk.admin import ReadOnlyAdmin
from ola.models import OlaTarget
from sla.calendars import business_hours
from sla.models import (
    MAX_TARGET,
    TARGET_FIELDS,
    TARGET_FORMFIELD_OVERRIDES,
    Calendar,
    CalendarHours,
    Holiday,
    SlaClock,
    SlaEvent,
    SlaOutcome,
    SlaOutcomeDay,
    SlaPolicy,
    SlaTarget,
    hours_reach,
    target_unreachable_message,
)


def _kept(formset: BaseInlineFormSet) -> list[dict[str, Any]]:
    """The rows an inline formset will save (its valid forms not marked for deletion)."""
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class SlaTargetFormSet(BaseInlineFormSet):
    """The policy's business hours must reach each target, as the API's policy_save checks: a
    target they never reach (30 days on one hour a week) failed every ticket the policy took."""

    def clean(self) -> None:
        super().clean()
        calendar = self.instance.calendar
        if calendar is None or any(self.errors):
            return
        try:
            hours = calendar.working_calendar()  # read once; each check is then arithmetic
        except ValueError:
            hours = None  # no opening hours: no target is ever reached
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            for name in TARGET_FIELDS:
                value = data.get(name)
                if (
                    value
                    and value <= MAX_TARGET
                    and not (hours is not None and hours_reach(hours, value))
                ):
                    form.add_error(name, target_unreachable_message())


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    formset = SlaTargetFormSet
    extra = 0
    formfield_overrides = TARGET_FORMFIELD_OVERRIDES


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "is_active", "kind", "category", "organisation", "calendar"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "kind"]
    raw_id_fields = ["category", "organisation"]
    inlines = [SlaTargetInline]


def _targets_on(calendar: Calendar) -> list[timedelta]:
    """The SLA and OLA targets counted in this calendar's business hours."""
    sla = SlaTarget.objects.filter(policy__calendar=calendar).values_list(*TARGET_FIELDS)
    ola = OlaTarget.objects.filter(calendar=calendar).values_list("take_within", "handoff_within")
    return [amount for row in (*sla, *ola) for amount in row if amount is not None]


class CalendarHoursFormSet(BaseInlineFormSet):
    """The opening hours as they will be saved: at least one interval, and enough to reach
    every target kept on the calendar. A calendar left without hours, or too sparse for a
    policy's targets, failed every ticket that policy took (a 500 on each create)."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        weekly: dict[int, list[tuple[time, time]]] = {}
        for row in _kept(self):
            weekly.setdefault(row["weekday"], []).append((row["opens"], row["closes"]))
        calendar = self.instance
        try:
            ZoneInfo(calendar.time_zone)
        except (ValueError, ZoneInfoNotFoundError):
            return  # the calendar's own form says so
        holidays: set[date] = (
            {holiday.date for holiday in calendar.holidays.all()} if calendar.pk else set()
        )
        try:
            hours = business_hours(time_zone=calendar.time_zone, weekly=weekly, holidays=holidays)
        except ValueError:
            raise ValidationError(_("A calendar needs at least one opening interval.")) from None
        longest = max(_targets_on(calendar), default=None) if calendar.pk else None
        if longest is not None and not hours_reach(hours, longest):  # the shorter ones too then
            raise ValidationError(target_unreachable_message())


class CalendarHoursInline(admin.TabularInline):
    model = CalendarHours
    formset = CalendarHoursFormSet
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]
    inlines = [CalendarHoursInline, HolidayInline]


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    """Read-only: clocks move with the tickets (and `manage.py sla_recompute`)."""

    list_display = ["ticket", "metric", "cycle", "state", "priority", "started_at", "due_at"]
    list_filter = ["metric", "state", "priority"]
    raw_id_fields = ["ticket"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(SlaEvent)
class SlaEventAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "metric", "cycle", "kind", "due_at", "created_at", "applied_at"]
    list_filter = ["kind", "metric"]
    raw_id_fields = ["ticket"]


@admin.register(SlaOutcome)
class SlaOutcomeAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "metric", "cycle", "met", "at", "priority", "tier"]
    list_filter = ["met", "metric", "priority", "tier"]
    raw_id_fields = ["ticket"]
    show_full_result_count = False


@admin.register(SlaOutcomeDay)
class SlaOutcomeDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "metric", "kind", "priority", "tier", "met", "breached"]
    list_filter = ["metric", "kind", "priority", "tier"]
