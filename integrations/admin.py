from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.errors import DomainError
from integrations import services
from integrations.models import AlertRule, Integration, MonitoredAlert
from tickets.admin import CategoryTreePickerMixin


def _show_token(request: HttpRequest, integration: Integration, token: str) -> None:
    messages.warning(
        request,
        _("The token of “%(name)s” is %(token)s — copy it now: it is stored only as a hash.")
        % {"name": integration.name, "token": token},
    )


@admin.register(Integration)
class IntegrationAdmin(CategoryTreePickerMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "is_active",
        "default_category",
        "flap_window_minutes",
        "token_rotated_at",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    readonly_fields = ["service_account", "token_id", "token_rotated_at", "created_at"]
    actions = ["rotate_token"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The kind decides which endpoint the token works on: fixed once created.
        return [*self.readonly_fields, "kind"] if obj is not None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Integration, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            created, token = services.integration_create(
                name=obj.name,
                kind=obj.kind,
                default_category=obj.default_category,
                default_impact=obj.default_impact,
                default_urgency=obj.default_urgency,
                flap_window_minutes=obj.flap_window_minutes,
                is_active=obj.is_active,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return
        obj.pk = created.pk
        obj.service_account_id = created.service_account_id
        obj.token_id = created.token_id
        _show_token(request, created, token)

    @admin.action(description=gettext_lazy("Rotate the token (the old one stops working)"))
    def rotate_token(self, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
        for integration in queryset.order_by("pk"):
            _show_token(
                request, integration, services.integration_rotate_token(integration=integration)
            )


@admin.register(AlertRule)
class AlertRuleAdmin(CategoryTreePickerMixin, admin.ModelAdmin):
    list_display = [
        "position",
        "integration",
        "label",
        "pattern",
        "category",
        "impact",
        "urgency",
        "is_active",
    ]
    list_display_links = ["label"]
    list_editable = ["position", "is_active"]
    list_filter = ["integration", "is_active"]
    ordering = ["position", "id"]


@admin.register(MonitoredAlert)
class MonitoredAlertAdmin(admin.ModelAdmin):
    """What the monitoring systems reported; written only by the intake."""

    list_display = [
        "fingerprint",
        "integration",
        "starts_at",
        "status",
        "ticket",
        "fire_count",
        "flap_count",
        "last_seen_at",
        "resolved_at",
    ]
    list_filter = ["status", "integration"]
    search_fields = ["fingerprint"]
    list_select_related = ["integration", "ticket"]
    # Shown, never edited: Django 6's default scheme, without its deprecation warning.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
