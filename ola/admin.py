from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from helpdesk.admin import ReadOnlyAdmin
from helpdesk.errors import DomainError
from ola import services
from ola.models import OlaClock, OlaEvent, OlaTarget, target_order_error
from sla.models import TARGET_FORMFIELD_OVERRIDES, calendar_hours_of, target_error


class OlaTargetAdminForm(forms.ModelForm):
    """The service's checks as form errors: the business hours reach the targets (the
    service's refusal raised from save_model was a 500), and no other target has this tier and
    priority, in the service's words (Django's unique check said it in its own, "OLA target
    with this Tier and Priority already exists.", and a raced clash in the service's)."""

    class Meta:
        model = OlaTarget
        fields = ["tier", "priority", "take_within", "handoff_within", "calendar"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours = calendar_hours_of(data.get("calendar"))  # read once for both targets
        for name in ("take_within", "handoff_within"):
            # A duration the field refused (too long) is not in `data`: one error, not two.
            error = target_error(data.get(name), hours=hours)
            if error:
                self.add_error(name, error)
        if "take_within" in data and "handoff_within" in data and not self.errors:
            error = target_order_error(
                take_within=data["take_within"], handoff_within=data["handoff_within"]
            )
            if error:
                self.add_error("handoff_within", error)
        if "tier" in data and "priority" in data:
            # An error on the priority leaves Django's unique check out (_post_clean).
            taken = services.ola_target_taken_error(
                tier=data["tier"], priority=data["priority"], target=self.instance
            )
            if taken:
                self.add_error("priority", taken)
        return data

    # The service's refusal at save time (OlaTargetAdmin.changeform_view): shown as this form's
    # error when the page is drawn again.
    refusal: DomainError | None = None

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and self.refusal is not None and not self.errors:
            field = self.refusal.field if self.refusal.field in self.fields else None
            self.add_error(field, self.refusal.message)


@admin.register(OlaTarget)
class OlaTargetAdmin(admin.ModelAdmin):
    list_display = ["tier", "priority", "take_within", "handoff_within", "calendar"]
    list_filter = ["tier"]
    formfield_overrides = TARGET_FORMFIELD_OVERRIDES
    form = OlaTargetAdminForm

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """A target for the same tier and priority saved by a colleague between this form's
        checks and its save: the service refuses it (the unique constraint decides) and the save
        is rolled back with the page's transaction. It was a 500; the form is drawn again with
        the refusal as its error, as a clash found beforehand is."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as refusal:
            request.ola_target_refusal = refusal  # type: ignore[attr-defined]
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "ola_target_refusal", None)
        if refusal is not None:
            form = type(form.__name__, (form,), {"refusal": refusal})
        return form

    def save_model(self, request: HttpRequest, obj: OlaTarget, form: Any, change: bool) -> None:
        # Through the service, as the API: it starts the clocks of the tier's open tickets.
        services.ola_target_save(
            actor=request.user,  # type: ignore[arg-type]
            target=obj,
            tier=obj.tier,
            priority=obj.priority,
            take_within=obj.take_within,
            handoff_within=obj.handoff_within,
            calendar=obj.calendar,
        )


@admin.register(OlaClock)
class OlaClockAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "tier", "metric", "cycle", "state", "due_at", "stopped_at"]
    list_filter = ["tier", "metric", "state"]


@admin.register(OlaEvent)
class OlaEventAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "tier", "metric", "cycle", "due_at", "created_at", "applied_at"]
    list_filter = ["tier", "metric"]
