from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, User


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
