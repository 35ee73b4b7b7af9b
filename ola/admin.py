from django.contrib import admin

from helpdesk.admin import ReadOnlyAdmin
from ola.models import OlaClock, OlaEvent, OlaTarget


@admin.register(OlaTarget)
class OlaTargetAdmin(admin.ModelAdmin):
    list_display = ["tier", "priority", "take_within", "handoff_within", "calendar"]
    list_filter = ["tier"]


@admin.register(OlaClock)
class OlaClockAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "tier", "metric", "cycle", "state", "due_at", "stopped_at"]
    list_filter = ["tier", "metric", "state"]
    raw_id_fields = ["ticket"]


@admin.register(OlaEvent)
class OlaEventAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "tier", "metric", "cycle", "due_at", "created_at", "applied_at"]
    list_filter = ["tier", "metric"]
    raw_id_fields = ["ticket"]
