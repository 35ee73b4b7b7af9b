from django.contrib import admin

from helpdesk.admin import ReadOnlyAdmin
from idempotency.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["kind", "owner", "key", "state", "response_status", "created_at", "expires_at"]
    list_filter = ["kind", "state"]
    search_fields = ["key", "owner"]
