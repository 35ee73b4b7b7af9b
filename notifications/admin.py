from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from helpdesk.admin import ServiceWrittenAdmin
from notifications.models import (
    DeliveryStatus,
    InAppNotification,
    Notification,
    NotificationPreference,
)


@admin.register(Notification)
class NotificationAdmin(ServiceWrittenAdmin):
    """The outbox: each row is sent once (a failed one may be retried, below)."""

    list_display = [
        "id",
        "kind",
        "recipient",
        "ticket",
        "status",
        "attempts",
        "created_at",
        "sent_at",
        "next_attempt_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["recipient__email", "dedupe_key", "last_error"]
    actions = ["retry"]

    @admin.action(description=_("Retry the selected failed notifications"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        count = queryset.filter(status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=None
        )
        self.message_user(request, _("%(count)d notifications queued again.") % {"count": count})


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "muted_kinds", "updated_at"]
    search_fields = ["user__email", "user__username"]
    raw_id_fields = ["user"]


@admin.register(InAppNotification)
class InAppNotificationAdmin(ServiceWrittenAdmin):
    list_display = ["id", "kind", "recipient", "ticket", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "dedupe_key"]
