from django.contrib import admin

from mailin.models import InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "sender", "subject", "outcome", "ticket"]
    list_filter = ["outcome"]
    search_fields = ["message_id", "sender", "subject"]
    raw_id_fields = ["ticket", "comment"]
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
