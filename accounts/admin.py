from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, Organisation, User


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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens can be revoked (deleted) here, never read: only their hashes are stored."""

    list_display = ["prefix", "user", "created_at"]
    search_fields = ["user__username", "prefix"]
    readonly_fields = ["user", "prefix", "key_hash", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
