"""Escalation pages (support groups, the on-call rota, routing rules) and the ticket page's
escalation actions, which post here and go back to /tickets/<id>/ with a message (or show the
page again with the form as it was sent, when it needs correcting)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from accounts.models import User
from escalation import forms, selectors, services
from escalation.models import OnCallShift, RoutingRule, ScheduledCall, SupportGroup, Tier
from helpdesk.errors import ConflictError, DomainError
from idempotency.decorators import idempotent_form
from tickets import services as ticket_services
from tickets.models import Ticket
from tickets.views.page import render_ticket
from tickets.views.writes import form_error, gives_typed_text_back, ticket_for_agent_write


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
    return _form_page(request, form, group, "groups")


def _form_page(
    request: HttpRequest, form: Form, instance: object | None, back: str
) -> HttpResponse:
    """The form, again with its errors after a refused save: a 400, as every refused form."""
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "escalation/form.html", _form_context(form, instance, back), status=status
    )


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
    return _form_page(request, form, shift, "rota")


@login_required
@require_POST
def shift_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    shift = OnCallShift.objects.filter(pk=pk).first()
    if shift is None:
        # A second click, or a rota page loaded before a colleague deleted it: done already,
        # not the site's "page not found".
        messages.info(request, _("The shift was already deleted."))
        return redirect("escalation:rota")
    services.oncall_shift_delete(actor=_user(request), shift=shift)
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
    return _form_page(request, form, rule, "rules")


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    rule = RoutingRule.objects.filter(pk=pk).first()
    if rule is None:  # as a shift deleted twice
        messages.info(request, _("The rule was already deleted."))
        return redirect("escalation:rules")
    services.routing_rule_delete(actor=_user(request), rule=rule)
    messages.success(request, _("The rule was deleted."))
    return redirect("escalation:rules")


# --- actions from the ticket page ------------------------------------------------------------
# Each form of the ticket page's escalation partials posts here, and comes back in the page's
# `bound_forms` under its key when it needs correcting: "deescalate", "reassign", "raise",
# "call" (a new call), "call-<id>" (reschedule) and "call-<id>-cancel".


def _ticket_page(ticket_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/tickets/{ticket_id}/")


def _staff_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    """The ticket through the gate (404 for one the user may not read, with what was typed
    given back: `gives_typed_text_back`); its requester reads it but never gets these forms
    (403)."""
    ticket = ticket_for_agent_write(user=_user(request), ticket_id=ticket_id)
    _require_staff(request)
    return ticket


def _ticket_call(request: HttpRequest, ticket: Ticket, call_id: int) -> ScheduledCall:
    call = selectors.call_get_for_user(user=_user(request), call_id=call_id)
    if call.ticket_id != ticket.pk:
        raise Http404(_("No such call on this ticket."))
    return call


def _ticket_action(
    request: HttpRequest,
    ticket: Ticket,
    form: Form,
    *,
    key: str,
    run: Callable[[Ticket, User, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Run one service from a form of the ticket page. Done: the message and back to the page
    (post/redirect/get). Otherwise nothing was written and the page comes again with the form
    as it was sent, open, so that what was typed is kept (never an error page):
    - bad input: 400, the error under its field;
    - the ticket's state is the reason: 409, as the form's error (a DomainError that names no
      field of the form: L1 is the lowest tier) or as a message (the ticket moved on: another
      state, the call cancelled);
    - who acts may not do this (the ticket went to another tier): 403 and the reason."""
    status = 400
    if form.is_valid():
        try:
            run(ticket, _user(request), form.cleaned_data)
        except (ConflictError, PermissionDenied, TransitionNotAllowed) as exc:
            # Not the form's fault: the reason above the page, the page as the ticket is now.
            ticket.refresh_from_db()
            _say_refused(request, ticket, exc)
            status = 403 if isinstance(exc, PermissionDenied) else 409
        except DomainError as exc:
            form_error(form, exc)
            status = 400 if exc.field in form.fields else 409
        else:
            messages.success(request, done)
            return _ticket_page(ticket.pk)
    return render_ticket(request, ticket, bound={key: form}, status=status)


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
@gives_typed_text_back
def ticket_deescalate(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _ticket_action(
        request,
        _staff_ticket(request, ticket_id),
        forms.ReasonForm(request.POST, auto_id=forms.DEESCALATE_FORM_IDS),
        key="deescalate",
        run=lambda t, u, d: ticket_services.ticket_deescalate(
            ticket=t, actor=u, reason=d["reason"]
        ),
        done=_("The ticket went back to the lower tier."),
    )


@login_required
@require_POST
@idempotent_form
@gives_typed_text_back
def ticket_reassign(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _ticket_action(
        request,
        _staff_ticket(request, ticket_id),
        forms.ReassignForm(request.POST, auto_id=forms.REASSIGN_FORM_IDS),
        key="reassign",
        run=lambda t, u, d: ticket_services.ticket_reassign(
            ticket=t, actor=u, assignee=d["assignee"], reason=d["reason"]
        ),
        done=_("The ticket was reassigned."),
    )


@login_required
@require_POST
@idempotent_form
@gives_typed_text_back
def ticket_raise(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _ticket_action(
        request,
        _staff_ticket(request, ticket_id),
        forms.ReasonForm(request.POST, auto_id=forms.RAISE_FORM_IDS),
        key="raise",
        run=lambda t, u, d: services.ticket_raise(ticket=t, actor=u, reason=d["reason"]),
        done=_("The lead and the managers have been told."),
    )


@login_required
@require_POST
@idempotent_form
@gives_typed_text_back
def call_schedule(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Book a call. A form with a mistake (a past time, no link) comes back on the ticket page
    with its errors and what was typed, not as a message over an empty form."""
    return _ticket_action(
        request,
        _staff_ticket(request, ticket_id),
        forms.CallForm(request.POST, auto_id=forms.CALL_FORM_IDS),
        key="call",
        run=lambda t, u, d: services.call_schedule(ticket=t, actor=u, **d),
        done=_("The call is booked; the requester gets an invitation."),
    )


@login_required
@require_POST
@idempotent_form
@gives_typed_text_back
def call_reschedule(request: HttpRequest, ticket_id: int, call_id: int) -> HttpResponse:
    ticket = _staff_ticket(request, ticket_id)
    call = _ticket_call(request, ticket, call_id)

    def run(ticket: Ticket, user: User, data: dict[str, Any]) -> object:
        data.pop("hold_until_call", None)  # chosen when the call was booked
        return services.call_reschedule(call=call, actor=user, **data)

    return _ticket_action(
        request,
        ticket,
        forms.CallForm(request.POST, auto_id=forms.call_form_ids(call.pk)),
        key=f"call-{call.pk}",
        run=run,
        done=_("The call was moved; the requester is told."),
    )


@login_required
@require_POST
@idempotent_form
@gives_typed_text_back
def call_cancel(request: HttpRequest, ticket_id: int, call_id: int) -> HttpResponse:
    ticket = _staff_ticket(request, ticket_id)
    call = _ticket_call(request, ticket, call_id)
    return _ticket_action(
        request,
        ticket,
        forms.CallCancelForm(request.POST, auto_id=forms.call_cancel_form_ids(call.pk)),
        key=f"call-{call.pk}-cancel",
        run=lambda t, u, d: services.call_cancel(call=call, actor=u, reason=d["reason"]),
        done=_("The call was cancelled; the requester is told."),
    )
