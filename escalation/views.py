"""Escalation pages (support groups, the on-call rota, routing rules) and the ticket page's
escalation actions, which post here and go back to /tickets/<id>/ with a message."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from accounts.models import User
from escalation import forms, selectors, services
from escalation.models import OnCallShift, RoutingRule, SupportGroup, Tier
from helpdesk.errors import DomainError
from idempotency.decorators import idempotent_form
from tickets import services as ticket_services
from tickets.selectors import ticket_get_for_user
from tickets.views.page import render_ticket
from tickets.views.writes import form_error


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require_staff(request: HttpRequest) -> None:
    if not _user(request).is_staff_member:
        raise PermissionDenied(_("Only support staff can see this."))


def _require_manager(request: HttpRequest) -> None:
    if not _user(request).is_manager:
        raise PermissionDenied(_("Only managers can change this."))


def _save_form(request: HttpRequest, form: Form, save: Callable[[dict[str, Any]], object]) -> bool:
    """Validate and save through a service; a DomainError becomes a form error."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        save(form.cleaned_data)
    except DomainError as exc:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)
        return False
    messages.success(request, _("Saved."))
    return True


# --- support groups ----------------------------------------------------------------------------


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    return render(
        request,
        "escalation/group_list.html",
        {"groups": selectors.support_group_list(), "can_edit": _user(request).is_manager},
    )


@login_required
def group_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_manager(request)
    group = get_object_or_404(SupportGroup, pk=pk) if pk else None
    initial = (
        {
            "name": group.name,
            "tier": group.tier,
            "lead": group.lead_id,
            "members": list(group.members.values_list("pk", flat=True)),
        }
        if group
        else {}
    )
    form = forms.SupportGroupForm(request.POST or None, initial=initial)

    def save(data: dict[str, Any]) -> object:
        return services.support_group_save(
            actor=_user(request),
            group=group,
            name=data["name"],
            tier=data["tier"],
            lead=data["lead"],
            members=list(data["members"]),
        )

    if _save_form(request, form, save):
        return redirect("escalation:groups")
    return render(request, "escalation/form.html", _form_context(form, group, "groups"))


def _form_context(form: Form, instance: object | None, back: str) -> dict[str, Any]:
    titles = {
        "groups": (_("New support group"), _("Edit support group")),
        "rota": (_("New on-call shift"), _("Edit on-call shift")),
        "rules": (_("New routing rule"), _("Edit routing rule")),
    }
    return {
        "form": form,
        "title": titles[back][1 if instance else 0],
        "back_url": f"escalation:{back}",
    }


# --- the on-call rota --------------------------------------------------------------------------


@login_required
def rota(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    now = timezone.now()
    return render(
        request,
        "escalation/rota.html",
        {
            "shifts": selectors.oncall_shift_list(since=now),
            "on_call_now": selectors.oncall_agents(tier=Tier.L3, at=now),
            "can_edit": _user(request).is_manager,
        },
    )


@login_required
def shift_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_manager(request)
    shift = get_object_or_404(OnCallShift, pk=pk) if pk else None
    initial = (
        {
            "agent": shift.agent_id,
            "tier": shift.tier,
            "starts_at": timezone.localtime(shift.starts_at),
            "ends_at": timezone.localtime(shift.ends_at),
            "note": shift.note,
        }
        if shift
        else {}
    )
    form = forms.OnCallShiftForm(request.POST or None, initial=initial)

    def save(data: dict[str, Any]) -> object:
        return services.oncall_shift_save(actor=_user(request), shift=shift, **data)

    if _save_form(request, form, save):
        return redirect("escalation:rota")
    return render(request, "escalation/form.html", _form_context(form, shift, "rota"))


@login_required
@require_POST
def shift_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    services.oncall_shift_delete(actor=_user(request), shift=get_object_or_404(OnCallShift, pk=pk))
    messages.success(request, _("The shift was deleted."))
    return redirect("escalation:rota")


# --- routing rules -----------------------------------------------------------------------------


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    return render(
        request,
        "escalation/rule_list.html",
        {"rules": selectors.routing_rule_list(), "can_edit": _user(request).is_manager},
    )


@login_required
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_manager(request)
    rule = get_object_or_404(RoutingRule, pk=pk) if pk else None
    initial = (
        {
            "name": rule.name,
            "position": rule.position,
            "is_active": rule.is_active,
            "category": rule.category_id,
            "kind": rule.kind,
            "priority": rule.priority,
            "target_tier": rule.target_tier,
            "target_group": rule.target_group_id,
        }
        if rule
        else {}
    )
    form = forms.RoutingRuleForm(request.POST or None, initial=initial)

    def save(data: dict[str, Any]) -> object:
        return services.routing_rule_save(actor=_user(request), rule=rule, **data)

    if _save_form(request, form, save):
        return redirect("escalation:rules")
    return render(request, "escalation/form.html", _form_context(form, rule, "rules"))


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    services.routing_rule_delete(actor=_user(request), rule=get_object_or_404(RoutingRule, pk=pk))
    messages.success(request, _("The rule was deleted."))
    return redirect("escalation:rules")


# --- actions from the ticket page ------------------------------------------------------------


def _ticket_page(ticket_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/tickets/{ticket_id}/")


def _ticket_action(
    request: HttpRequest,
    ticket_id: int,
    form_class: type[Form],
    run: Callable[[Any, User, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Parse, run one service, go back to the ticket page with a message (never an error page
    for a refused action; 404 for a ticket the user may not read)."""
    user = _user(request)
    ticket = ticket_get_for_user(user=user, ticket_id=ticket_id)
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _ticket_page(ticket.pk)
    try:
        run(ticket, user, form.cleaned_data)
    except (DomainError, PermissionDenied, TransitionNotAllowed) as exc:
        _say_refused(request, ticket, exc)
    else:
        messages.success(request, done)
    return _ticket_page(ticket.pk)


def _say_refused(request: HttpRequest, ticket: Any, exc: Exception) -> None:
    if isinstance(exc, TransitionNotAllowed):
        ticket.refresh_from_db(fields=["status"])
        messages.error(
            request,
            _("This action is not allowed while the ticket is %(status)s.")
            % {"status": ticket.get_status_display()},
        )
    else:
        messages.error(request, getattr(exc, "message", None) or str(exc))


@login_required
@require_POST
@idempotent_form
def ticket_deescalate(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _ticket_action(
        request,
        ticket_id,
        forms.ReasonForm,
        lambda t, u, d: ticket_services.ticket_deescalate(ticket=t, actor=u, reason=d["reason"]),
        _("The ticket went back to the lower tier."),
    )


@login_required
@require_POST
@idempotent_form
def ticket_reassign(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _ticket_action(
        request,
        ticket_id,
        forms.ReassignForm,
        lambda t, u, d: ticket_services.ticket_reassign(
            ticket=t, actor=u, assignee=d["assignee"], reason=d["reason"]
        ),
        _("The ticket was reassigned."),
    )


@login_required
@require_POST
@idempotent_form
def ticket_raise(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _ticket_action(
        request,
        ticket_id,
        forms.ReasonForm,
        lambda t, u, d: services.ticket_raise(ticket=t, actor=u, reason=d["reason"]),
        _("The lead and the managers have been told."),
    )


@login_required
@require_POST
@idempotent_form
def call_schedule(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Book a call. A form with a mistake (a past time, no link) comes back on the ticket page
    with its errors and what was typed, not as a message over an empty form."""
    user = _user(request)
    ticket = ticket_get_for_user(user=user, ticket_id=ticket_id)
    form = forms.CallForm(request.POST, auto_id=forms.CALL_FORM_IDS)
    if form.is_valid():
        try:
            services.call_schedule(ticket=ticket, actor=user, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        except (PermissionDenied, TransitionNotAllowed) as exc:
            # Not the form's fault (the ticket moved on): the usual message on the page.
            _say_refused(request, ticket, exc)
            return _ticket_page(ticket.pk)
        else:
            messages.success(request, _("The call is booked; the requester gets an invitation."))
            return _ticket_page(ticket.pk)
    return render_ticket(request, ticket, bound={"call": form}, status=400)


@login_required
@require_POST
@idempotent_form
def call_reschedule(request: HttpRequest, ticket_id: int, call_id: int) -> HttpResponse:
    def run(ticket: Any, user: User, data: dict[str, Any]) -> object:
        call = selectors.call_get_for_user(user=user, call_id=call_id)
        if call.ticket_id != ticket.pk:
            raise DomainError(_("No such call on this ticket."))
        data.pop("hold_until_call", None)  # chosen when the call was booked
        return services.call_reschedule(call=call, actor=user, **data)

    return _ticket_action(
        request, ticket_id, forms.CallForm, run, _("The call was moved; the requester is told.")
    )


@login_required
@require_POST
@idempotent_form
def call_cancel(request: HttpRequest, ticket_id: int, call_id: int) -> HttpResponse:
    def run(ticket: Any, user: User, data: dict[str, Any]) -> object:
        call = selectors.call_get_for_user(user=user, call_id=call_id)
        if call.ticket_id != ticket.pk:
            raise DomainError(_("No such call on this ticket."))
        return services.call_cancel(call=call, actor=user, reason=data["reason"])

    return _ticket_action(
        request,
        ticket_id,
        forms.CallCancelForm,
        run,
        _("The call was cancelled; the requester is told."),
    )
