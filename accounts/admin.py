from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, Organisation, User
from accounts.services import api_tokens_revoke_all


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "share_tickets", "created_at"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "display_name", "role", "organisation", "is_active"]
    list_filter = ["role", "language", "is_active", "is_staff"]
    search_fields = ["username", "email", "display_name"]
    autocomplete_fields = ["organisation"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            _("Helpdesk"),
            {"fields": ("display_name", "role", "organisation", "language", "time_zone", "phone")},
        ),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # A deactivated account keeps no API token: reactivating it must not bring them back.
        # (A new password revokes them too: accounts.validators, on every path.)
        if change and "is_active" in form.changed_data and not obj.is_active:
            api_tokens_revoke_all(user=obj)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens can be revoked (deleted) here, never read: only their hashes are stored."""

    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "expires_at"]
    search_fields = ["user__username", "prefix", "name"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "key_hash",
        "created_at",
        "last_used_at",
        "expires_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
