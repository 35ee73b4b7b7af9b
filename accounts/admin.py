from typing import Any

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import ApiToken, Organisation, Role, User
from accounts.services import api_tokens_revoke_all
from tickets.models import ACTIVE_STATES, Ticket


def _open_tickets_held(user: User) -> int:
    return Ticket.objects.filter(assignee=user, status__in=ACTIVE_STATES).count()


class HelpdeskUserChangeForm(UserChangeForm):
    def clean_role(self) -> str:
        role: str = self.cleaned_data["role"]
        held = _open_tickets_held(self.instance) if self.instance.pk else 0
        if self.instance.role == Role.AGENT and role != Role.AGENT and held:
            # Their tickets would stay assigned to someone who can no longer work them.
            raise forms.ValidationError(
                ngettext(
                    "%(name)s still holds %(count)d open ticket: reassign it first.",
                    "%(name)s still holds %(count)d open tickets: reassign them first.",
                    held,
                )
                % {"name": self.instance.name, "count": held}
            )
        return role


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "share_tickets", "created_at"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = HelpdeskUserChangeForm
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
            self._warn_of_tickets_left(request, obj)

    def _warn_of_tickets_left(self, request: HttpRequest, user: User) -> None:
        """Deactivating is never refused (someone who left must lose access at once), but
        their open tickets stay assigned to them until someone reassigns them."""
        held = _open_tickets_held(user)
        if not held:
            return
        text = ngettext(
            "%(name)s still holds %(count)d open ticket: reassign it (queue health lists it).",
            "%(name)s still holds %(count)d open tickets: reassign them (queue health lists them).",
            held,
        ) % {"name": user.name, "count": held}
        messages.warning(request, text)


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


class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    """django-axes's list of failed sign-ins, with what it leaves broken or untranslated.

    Its model and field names are translated by the project's catalog (axes ships no Spanish
    one); its two computed columns had no translatable label, and its clean-up action raised
    AttributeError (a 500) and reported in an f-string no catalog can translate.
    """

    @admin.action(description=_("Clean up expired attempts"))
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # axes reads the time of the sign-in attempt being handled, which an admin action
        # is not: without one, it counts from now.
        request.axes_attempt_time = None  # type: ignore[attr-defined]
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(
            request,
            ngettext(
                "%(count)d expired access attempt was deleted.",
                "%(count)d expired access attempts were deleted.",
                count,
            )
            % {"count": count},
        )

    @admin.display(description=_("Expires At"))
    def expiration(self, obj: AccessAttempt) -> Any:
        return super().expiration(obj)

    @admin.display(description=_("status"))
    def status(self, obj: AccessAttempt) -> Any:
        return super().status(obj)


if admin.site.is_registered(AccessAttempt):  # axes's own, when AXES_ENABLE_ADMIN
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AccessAttemptAdmin)
