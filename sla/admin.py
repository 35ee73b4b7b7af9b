import copy
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from escalation.models import Tier
from helpdesk.admin import ReadOnlyAdmin
from helpdesk.date_bounds import validate_date_in_range
from helpdesk.errors import DomainError
from sla.models import (
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
    calendar_hours_of,
    target_error,
    target_order_error,
)
from sla.services import calendar_hours_check, policies_deletion_check, policy_coverage_check


def _kept(formset: BaseInlineFormSet) -> list[dict[str, Any]]:
    """The rows an inline formset will save (its valid forms not marked for deletion)."""
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class SlaTargetFormSet(BaseInlineFormSet):
    """The policy's targets as the API's policy_save checks them (sla.models.target_error):
    a target its business hours never reach (30 days on one hour a week) failed every ticket
    the policy took. A duration the field refused already carries that error."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        hours = calendar_hours_of(self.instance.calendar)  # read once for every target
        contradictions: list[str] = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            for name in TARGET_FIELDS:
                error = target_error(data.get(name), hours=hours)
                if error:
                    form.add_error(name, error)
            if not form.errors and data.get("priority") is not None:
                contradictions.append(
                    target_order_error(
                        priority=data["priority"],
                        first_response=data.get("first_response"),
                        next_response=data.get("next_response"),
                        resolution=data.get("resolution"),
                    )
                )
        if any(contradictions):
            # Above the table (each names its priority): a row's error sat in cells that a
            # phone's narrow table scrolls out of sight.
            raise ValidationError([message for message in contradictions if message])
        # The policy as it will be saved (its form's values) with the targets kept.
        _coverage(self.instance, targets=_kept(self))


def _coverage(policy: SlaPolicy, **change: Any) -> None:
    """sla.services.policy_coverage_check, its refusal as the form's error."""
    try:
        policy_coverage_check(policy=policy, **change)
    except DomainError as error:
        raise ValidationError(error.message) from None


class SlaPolicyListForm(forms.ModelForm):
    """A row of the policy list (position, active): switching off the last policy that takes
    every ticket of a priority is refused there too."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        proposed = copy.copy(self.instance)
        for name, value in data.items():
            if name != "id":  # the row's own policy, as the formset hands it over
                setattr(proposed, name, value)
        _coverage(proposed)
        return data


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

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[forms.ModelForm]:
        return super().get_changelist_form(request, form=SlaPolicyListForm, **kwargs)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """A deletion that would leave a priority without SLA clocks is shown as protected:
        Django's page says it cannot be done, and why."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        try:
            policies_deletion_check(policies=objs)
        except DomainError as error:
            protected = [*protected, error.message]
        return deleted, model_count, perms_needed, protected


def _weekly(rows: list[dict[str, Any]]) -> dict[int, list[tuple[time, time]]]:
    weekly: dict[int, list[tuple[time, time]]] = {}
    for row in rows:
        weekly.setdefault(row["weekday"], []).append((row["opens"], row["closes"]))
    return weekly


def _zone_known(calendar: Calendar) -> bool:
    try:
        ZoneInfo(calendar.time_zone)
    except (ValueError, ZoneInfoNotFoundError):
        return False  # the calendar's own form says so
    return True


def _check(calendar: Calendar, **proposed: Any) -> None:
    """sla.services.calendar_hours_check, its refusal as the formset's error."""
    try:
        calendar_hours_check(calendar=calendar, **proposed)
    except DomainError as error:
        raise ValidationError(error.message) from None


class CalendarHoursFormSet(BaseInlineFormSet):
    """The opening hours as they will be saved: at least one interval, and enough to reach
    every target kept on the calendar (with its saved holidays; HolidayFormSet checks the
    holidays being saved). A calendar left without hours, or too sparse for a policy's
    targets, failed every ticket that policy took (a 500 on each create)."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or not _zone_known(self.instance):
            return
        calendar = self.instance
        saved = {h.date for h in calendar.holidays.all()} if calendar.pk else set()
        _check(calendar, weekly=_weekly(_kept(self)), holidays=saved)


class HolidayFormSet(BaseInlineFormSet):
    """The holidays as they will be saved, with the opening hours being saved beside them
    (`hours_formset`, set by CalendarAdmin) or else those stored: a holiday season on sparse
    hours could leave a target unreachable as well as hours cut back could."""

    hours_formset: CalendarHoursFormSet | None = None

    def clean(self) -> None:
        super().clean()
        calendar = self.instance
        if any(self.errors) or calendar.pk is None or not _zone_known(calendar):
            return  # a new calendar has no targets yet
        hours = self.hours_formset
        if hours is not None and not hours.is_valid():
            return  # the hours' own errors are shown
        weekly = _weekly(_kept(hours)) if hours is not None else calendar.working_calendar_weekly()
        if not weekly:
            return  # the hours' formset says a calendar needs some
        _check(calendar, weekly=weekly, holidays={row["date"] for row in _kept(self)})


class CalendarHoursInline(admin.TabularInline):
    model = CalendarHours
    formset = CalendarHoursFormSet
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    formset = HolidayFormSet
    extra = 0
    # The dates every form of the project takes (2000–2099): 0001-01-01 and 9999-12-31 were
    # saved, and a holiday there can only be a typo (no clock runs then).
    formfield_overrides = {models.DateField: {"validators": [validate_date_in_range]}}


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]
    inlines = [CalendarHoursInline, HolidayInline]

    # Django's (private) hook that builds the inlines' formsets: the one place both exist.
    def _create_formsets(self, request, obj, change):  # type: ignore[no-untyped-def]
        # The holidays are checked against the opening hours submitted with them (Django
        # validates the inlines one by one, the hours first).
        formsets, inlines = super()._create_formsets(request, obj, change)  # type: ignore[misc]
        hours = next((f for f in formsets if isinstance(f, CalendarHoursFormSet)), None)
        for formset in formsets:
            if isinstance(formset, HolidayFormSet):
                formset.hours_formset = hours
        return formsets, inlines


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    """Read-only: clocks move with the tickets (and `manage.py sla_recompute`)."""

    list_display = ["ticket", "metric", "cycle", "state", "priority", "started_at", "due_at"]
    list_filter = ["metric", "state", "priority"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(SlaEvent)
class SlaEventAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "metric", "cycle", "kind", "due_at", "created_at", "applied_at"]
    list_filter = ["kind", "metric"]


@admin.display(description=_("tier"), ordering="tier")
def _tier_label(row: SlaOutcome | SlaOutcomeDay) -> str:
    """The tier by its name: the column (no choices) showed 1, 2, 3."""
    return str(Tier(row.tier).label) if row.tier in Tier.values else str(row.tier)


class TierFilter(admin.SimpleListFilter):
    title = _("tier")
    parameter_name = "tier"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(value), label) for value, label in Tier.choices]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        value = self.value()
        return queryset.filter(tier=value) if value and value.isdigit() else queryset


@admin.register(SlaOutcome)
class SlaOutcomeAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "metric", "cycle", "met", "at", "priority", _tier_label]
    list_filter = ["met", "metric", "priority", TierFilter]
    show_full_result_count = False


@admin.register(SlaOutcomeDay)
class SlaOutcomeDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "metric", "kind", "priority", _tier_label, "met", "breached"]
    list_filter = ["metric", "kind", "priority", TierFilter]
