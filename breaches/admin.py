"""The register in the admin is read-only: writes go through the services (and so the audit)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from breaches.models import (
    AuthorityNotification,
    Breach,
    BreachAttachment,
    BreachAuditEntry,
    BreachClockEvent,
    BreachNote,
)
from helpdesk.admin import ReadOnlyAdmin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuthorityNotificationInline(ReadOnlyInline):
    model = AuthorityNotification


class BreachAuditEntryInline(ReadOnlyInline):
    model = BreachAuditEntry


@admin.register(Breach)
class BreachAdmin(ReadOnlyAdmin):
    list_display = ["reference", "title", "status", "aware_at", "notify_due_at", "risk_level"]
    list_filter = ["status", "risk_level", "authority_decision"]
    search_fields = ["title"]
    list_select_related = ["reporter"]
    inlines = [AuthorityNotificationInline, BreachAuditEntryInline]


@admin.register(BreachAuditEntry)
class BreachAuditEntryAdmin(ReadOnlyAdmin):
    """The history cannot be edited or deleted by anyone."""

    list_display = ["breach", "action", "actor", "created_at"]
    list_filter = ["action"]
    list_select_related = ["breach", "actor"]


@admin.register(BreachClockEvent)
class BreachClockEventAdmin(ReadOnlyAdmin):
    list_display = ["breach", "threshold_hours", "due_at", "recorded_at"]


admin.site.register(AuthorityNotification, ReadOnlyAdmin)
admin.site.register(BreachNote, ReadOnlyAdmin)
admin.site.register(BreachAttachment, ReadOnlyAdmin)
