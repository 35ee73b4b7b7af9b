"""Admin pieces shared by the apps."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the services (audit trails, recorded verdicts): readable in the
    admin, never added, edited or removed there."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceWrittenAdmin(admin.ModelAdmin):
    """Rows the services write with their side effects (SLA clocks, routing, notifications,
    the event the audit replays): never added here, and only their `editable_texts` may be
    corrected (a password pasted into a message, say); they may be deleted. A priority or tier
    changed here left the clocks on the old one and no event for the audit; a reply added here
    stopped no clock; a note made public here reached the requester unrecorded; an email's
    recipient changed here got someone else's ticket."""

    editable_texts: tuple[str, ...] = ()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        meta = self.model._meta
        return [f.name for f in meta.concrete_fields if f.name not in self.editable_texts]
