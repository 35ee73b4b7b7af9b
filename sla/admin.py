from django.contrib import admin

from helpdesk.admin import ReadOnlyAdmin
from sla.models import (
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
)


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    formfield_overrides = TARGET_FORMFIELD_OVERRIDES


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "is_active", "kind", "category", "organisation", "calendar"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "kind"]
    raw_id_fields = ["category", "organisation"]
    inlines = [SlaTargetInline]


class CalendarHoursInline(admin.TabularInline):
    model = CalendarHours
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
