from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from helpdesk.admin import ServiceWrittenAdmin
from incidents.models import MajorIncident, MajorIncidentLink, StatusUpdate


class LinkInline(admin.TabularInline):
    """Linked by the service (the ticket's event, the requester's updates): shown only."""

    model = MajorIncidentLink
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class UpdateInline(admin.StackedInline):
    """Posted (and emailed) by the service; only the texts may be corrected here."""

    model = StatusUpdate
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [
            f.name
            for f in StatusUpdate._meta.concrete_fields
            if f.name not in ("message", "message_es")
        ]


@admin.register(MajorIncident)
class MajorIncidentAdmin(ServiceWrittenAdmin):
    """Declared, updated and resolved by the services (incidents.services): an incident added
    here had no first update and told no one; a status set to resolved here resolved none of
    its tickets; a next update due in 9999 failed every page showing it. Its public texts may be
    corrected."""

    editable_texts = (
        "public_title",
        "public_title_es",
        "public_summary",
        "public_summary_es",
        "affected_services",
    )
    list_display = [
        "id",
        "public_title",
        "status",
        "started_at",
        "resolved_at",
        "next_update_due_at",
    ]
    list_filter = ["status"]
    search_fields = ["public_title", "public_title_es"]
    inlines = [LinkInline, UpdateInline]
