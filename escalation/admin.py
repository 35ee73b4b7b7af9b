from typing import Any

from django import forms
from django.contrib import admin

from escalation.models import OnCallShift, RoutingRule, ScheduledCall, SupportGroup
from escalation.services import (
    oncall_shift_check,
    routing_rule_target_tier,
    support_group_check,
)
from helpdesk.errors import DomainError
from tickets.admin import CategoryTreePickerMixin


def _add_domain_error(form: forms.ModelForm, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


class SupportGroupAdminForm(forms.ModelForm):
    """The groups' rules, as the managers' page applies them: a requester was saved as a
    group's lead or member here, and a name that differs from another only in case."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                support_group_check(
                    group=self.instance if self.instance.pk else None,
                    name=data.get("name") or "",
                    tier=data.get("tier") or 0,
                    lead=data.get("lead"),
                    members=list(data.get("members") or []),
                )
            except DomainError as error:
                _add_domain_error(self, error)
        return data


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin):
    form = SupportGroupAdminForm
    list_display = ["name", "tier", "lead"]
    list_filter = ["tier"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    raw_id_fields = ["lead"]


class OnCallShiftAdminForm(forms.ModelForm):
    """The rota's rules, as the page and the API apply them: a reversed range was the database
    constraint's name ("oncall_shift_ends_after_start" is violated), and a shift of a year, one
    already over or for someone who is no agent of the tier was saved."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        shift: dict[str, Any] = {
            name: data.get(name) for name in ("agent", "tier", "starts_at", "ends_at")
        }
        if all(value is not None for value in shift.values()):  # else: their field's error
            try:
                oncall_shift_check(**shift)
            except DomainError as error:
                _add_domain_error(self, error)
        return data


@admin.register(OnCallShift)
class OnCallShiftAdmin(admin.ModelAdmin):
    form = OnCallShiftAdminForm
    list_display = ["agent", "tier", "starts_at", "ends_at", "note"]
    list_filter = ["tier"]
    list_select_related = ["agent"]
    raw_id_fields = ["agent"]
    date_hierarchy = "starts_at"


class RoutingRuleAdminForm(forms.ModelForm):
    """A rule's target as the managers' page checks it: a rule for tier L2 with a group that
    works at L3 was saved here, and routed to the group at the wrong tier."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "target_tier" in data and "target_group" in data:
            try:
                routing_rule_target_tier(
                    target_tier=data["target_tier"], target_group=data["target_group"]
                )
            except DomainError as error:
                _add_domain_error(self, error)
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(CategoryTreePickerMixin, admin.ModelAdmin):
    form = RoutingRuleAdminForm
    list_display = ["position", "name", "category", "kind", "priority", "target_tier", "is_active"]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "target_tier"]
    list_select_related = ["category__parent", "target_group"]


@admin.register(ScheduledCall)
class ScheduledCallAdmin(admin.ModelAdmin):
    """Read-only: calls change through the services, which email the requester."""

    list_display = ["ticket", "organiser", "starts_at", "medium", "status", "sequence"]
    list_filter = ["status", "medium"]
    list_select_related = ["ticket", "organiser"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
