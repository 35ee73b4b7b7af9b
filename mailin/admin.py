from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from mailin.models import InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """The intake's log of what it read and what it did with each message: written by the
    intake only (an empty row added here took the empty Message-ID, and the next one was a
    500). A row may be deleted (the mail it names, say, is personal data to remove)."""

    list_display = ["id", "created_at", "sender", "subject", "outcome", "ticket"]
    list_filter = ["outcome"]
    search_fields = ["message_id", "sender", "subject"]
    readonly_fields = [
        "message_id",
        "sender",
        "subject",
        "outcome",
        "reason",
        "ticket",
        "comment",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
