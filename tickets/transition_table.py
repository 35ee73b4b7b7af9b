"""The one table of ticket transitions: for each, the service it runs, the API's input
serializer, who may ask for it, the success code, the OpenAPI text, the UI's button and form,
the words of the timeline and the notes of the state diagram.

Generated from it: the API's POST endpoints (`tickets.api.views`), the forms of the ticket page
(`tickets.views.lifecycle`) and the state diagram of docs/architecture.md
(`manage.py state_diagram`). A presentation module: it names serializers and forms. When a
transition may run (state, tier, assignee) is decided by the model and `tickets.transitions`;
what it does, by the service.
"""

import dataclasses
from collections.abc import Callable
from typing import Any

from django import forms
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.serializers import BaseSerializer

from accounts.models import User
from escalation.services import ticket_raise
from helpdesk.errors import DomainError
from tickets import services
from tickets.api import serializers as s
from tickets.forms import (
    AssignForm,
    CancelForm,
    EmptyForm,
    MergeForm,
    ReasonForm,
    ResolveForm,
    TriageForm,
)
from tickets.models import ClosureCode, Status, Ticket
from tickets.selectors import parse_reference, ticket_get_for_user

Run = Callable[[Ticket, User, dict[str, Any]], Ticket]
# (data, prefix, tier of the ticket, ticket) → the form, bound when data is given.
FormFactory = Callable[[Any, str, int, Ticket | None], forms.Form]

AGENTS = frozenset({"agent"})
AGENTS_AND_REQUESTER = frozenset({"agent", "requester"})


@dataclasses.dataclass(frozen=True)
class Button:
    """A transition on the ticket page: the button's words and style, and its form."""

    label: Any
    style: str
    form: FormFactory


@dataclasses.dataclass(frozen=True)
class Transition:
    name: str
    run: Run  # the service, from the validated input (API serializer or page form)
    serializer: type[BaseSerializer]  # the API's input
    doc: str  # the API operation's description
    roles: frozenset[str] = AGENTS  # who may ask (the service checks the rest)
    code: int = status.HTTP_200_OK
    url_path: str = ""  # the API path's last segment; default: the name
    action: str = ""  # the viewset method; default: the name
    staff_ui: Button | None = None  # the agent's page
    requester_ui: Button | None = None  # the requester's page and tracking link
    done: Any = ""  # the message after the page's form went through
    event_label: Any = ""  # the timeline's words for its event
    diagram_note: str = ""  # after the name on the state diagram's arrows

    @property
    def path(self) -> str:
        return self.url_path or self.name

    @property
    def method(self) -> str:
        return self.action or self.name


def merge_target(*, actor: User, into: int | str) -> Ticket:
    """The ticket a duplicate is merged into, from its id (API) or its number or reference
    (page), read through the gate: one the actor cannot read is "no such ticket" (a 400)."""
    target_id = into if isinstance(into, int) else parse_reference(into)
    if target_id is None:
        raise DomainError(_("Give the number of the ticket to merge into."), field="into")
    try:
        return ticket_get_for_user(user=actor, ticket_id=target_id)
    except Http404:
        raise DomainError(_("No such ticket."), field="into") from None


def _raise(ticket: Ticket, actor: User, data: dict[str, Any]) -> Ticket:
    ticket_raise(ticket=ticket, actor=actor, reason=data["reason"])
    return ticket


def _priority(data: dict[str, Any]) -> dict[str, Any]:
    """Impact, urgency and the override with its reason, as triage and prioritize take them."""
    return {
        "impact": data["impact"],
        "urgency": data["urgency"],
        "override": data["priority"],
        "reason": data["reason"],
    }


# Hold, resume and cancel reasons are the requester's to read (their page, their email), unlike
# an escalation's: the field says so, as "Reason" alone did for both.
PUBLIC_REASON = gettext_lazy("Reason (the requester sees it)")


def _form(form_class: type[forms.Form], **kwargs: Any) -> FormFactory:
    return lambda data, prefix, tier, ticket: form_class(data, prefix=prefix, **kwargs)


def _triage_form(data: Any, prefix: str, tier: int, ticket: Ticket | None) -> forms.Form:
    return TriageForm(data, prefix=prefix, ticket=ticket)


def _assign_form(data: Any, prefix: str, tier: int, ticket: Ticket | None) -> forms.Form:
    return AssignForm(data, prefix=prefix, tier=tier)


TABLE: tuple[Transition, ...] = (
    Transition(
        name="triage",
        run=lambda t, u, d: services.ticket_triage(
            ticket=t, actor=u, kind=d["kind"], category=d["category"], **_priority(d)
        ),
        serializer=s.TriageSerializer,
        doc="identify + categorize + prioritize in one step (each recorded).",
        staff_ui=Button(gettext_lazy("Triage"), "primary", _triage_form),
        done=gettext_lazy("Triaged: the ticket is prioritized."),
    ),
    Transition(
        name="identify",
        run=lambda t, u, d: services.ticket_identify(ticket=t, actor=u, kind=d["kind"]),
        serializer=s.IdentifySerializer,
        doc="new → logged, recording the kind.",
        event_label=gettext_lazy("identified the ticket"),
        diagram_note="(kind)",
    ),
    Transition(
        name="categorize",
        run=lambda t, u, d: services.ticket_categorize(ticket=t, actor=u, category=d["category"]),
        serializer=s.CategorizeSerializer,
        doc="logged → categorized.",
        event_label=gettext_lazy("categorized the ticket"),
    ),
    Transition(
        name="prioritize",
        run=lambda t, u, d: services.ticket_prioritize(ticket=t, actor=u, **_priority(d)),
        serializer=s.PrioritizeSerializer,
        doc="categorized → prioritized (impact × urgency, optional override with reason).",
        event_label=gettext_lazy("prioritized the ticket"),
        diagram_note="(impact × urgency)",
    ),
    Transition(
        name="take",
        run=lambda t, u, d: services.ticket_take(ticket=t, actor=u),
        serializer=s.EmptySerializer,
        doc="An agent of the ticket's tier takes it: prioritized/escalated → in diagnosis.",
        staff_ui=Button(gettext_lazy("Take"), "primary", _form(EmptyForm)),
        done=gettext_lazy("You took the ticket."),
        event_label=gettext_lazy("took the ticket"),
        diagram_note="(an agent of the tier)",
    ),
    Transition(
        name="start_diagnosis",
        run=lambda t, u, d: services.ticket_start_diagnosis(
            ticket=t, actor=u, assignee=d["assignee"]
        ),
        serializer=s.AssignSerializer,
        doc="Assign to an agent of the tier: prioritized → in diagnosis.",
        url_path="start-diagnosis",
        staff_ui=Button(gettext_lazy("Assign"), "", _assign_form),
        done=gettext_lazy("The ticket is assigned."),
        event_label=gettext_lazy("assigned the ticket"),
        diagram_note="(assign)",
    ),
    Transition(
        name="escalate",
        run=lambda t, u, d: services.ticket_escalate(ticket=t, actor=u, reason=d["reason"]),
        serializer=s.RequiredReasonSerializer,
        doc="Functional escalation to the next tier, with a reason.",
        staff_ui=Button(gettext_lazy("Escalate"), "warn", _form(ReasonForm)),
        done=gettext_lazy("Escalated to the next tier."),
        event_label=gettext_lazy("escalated the ticket"),
        diagram_note="(tier + 1, reason)",
    ),
    Transition(
        name="deescalate",
        run=lambda t, u, d: services.ticket_deescalate(ticket=t, actor=u, reason=d["reason"]),
        serializer=s.RequiredReasonSerializer,
        doc="Back to the lower tier's queue (in diagnosis/escalated → escalated), with an "
        "internal reason.",
        diagram_note="(tier − 1, reason)",
    ),
    Transition(
        name="reassign",
        run=lambda t, u, d: services.ticket_reassign(
            ticket=t, actor=u, assignee=d["assignee"], reason=d["reason"]
        ),
        serializer=s.ReassignSerializer,
        doc="Hand the ticket to another agent of its tier, with an internal reason.",
    ),
    Transition(
        name="raise",
        run=_raise,
        serializer=s.RequiredReasonSerializer,
        doc="Hierarchical escalation: tell the tier lead and the managers, without moving the "
        "ticket (agents of its tier).",
        action="raise_to_manager",
    ),
    Transition(
        name="hold",
        run=lambda t, u, d: services.ticket_hold(ticket=t, actor=u, reason=d["reason"]),
        serializer=s.ReasonSerializer,
        doc="Wait on the requester (the resolution clock pauses).",
        staff_ui=Button(
            gettext_lazy("Wait on requester"),
            "",
            _form(ReasonForm, required=False, label=PUBLIC_REASON),
        ),
        done=gettext_lazy("The ticket waits on the requester; the resolution clock is paused."),
        event_label=gettext_lazy("put the ticket on hold, waiting on the requester"),
        diagram_note="(waiting on the requester)",
    ),
    Transition(
        name="resume",
        run=lambda t, u, d: services.ticket_resume(ticket=t, actor=u, reason=d["reason"]),
        serializer=s.ReasonSerializer,
        doc="Back to diagnosis from waiting on the requester.",
        staff_ui=Button(
            gettext_lazy("Resume"),
            "primary",
            _form(ReasonForm, required=False, label=PUBLIC_REASON),
        ),
        done=gettext_lazy("Work on the ticket resumed."),
        event_label=gettext_lazy("resumed work on the ticket"),
        diagram_note="(or the requester replies)",
    ),
    Transition(
        name="resolve",
        run=lambda t, u, d: services.ticket_resolve(
            ticket=t, actor=u, summary=d["summary"], code=d["code"]
        ),
        serializer=s.ResolveSerializer,
        doc="Resolve with a summary and a resolution code (sent to the requester).",
        staff_ui=Button(gettext_lazy("Resolve"), "ok", _form(ResolveForm)),
        done=gettext_lazy("Resolved: the requester is asked to confirm."),
        event_label=gettext_lazy("resolved the ticket"),
        diagram_note="(summary + code)",
    ),
    Transition(
        name="close",
        run=lambda t, u, d: services.ticket_close(ticket=t, actor=u, reason=d["reason"]),
        serializer=s.ReasonSerializer,
        doc="The requester confirms the resolution.",
        roles=AGENTS_AND_REQUESTER,
        staff_ui=Button(gettext_lazy("Close"), "ok", _form(EmptyForm)),
        requester_ui=Button(
            gettext_lazy("Yes, it is solved: close the ticket"), "ok", _form(EmptyForm)
        ),
        done=gettext_lazy("The ticket is closed."),
        event_label=gettext_lazy("closed the ticket"),
        diagram_note="(the requester confirms)",
    ),
    Transition(
        name="reopen",
        run=lambda t, u, d: services.ticket_reopen(ticket=t, actor=u, reason=d["reason"]),
        serializer=s.RequiredReasonSerializer,
        doc="The requester rejects the resolution, with a reason.",
        roles=AGENTS_AND_REQUESTER,
        staff_ui=Button(gettext_lazy("Reopen"), "warn", _form(ReasonForm)),
        requester_ui=Button(
            gettext_lazy("No, it is not solved: reopen"),
            "warn",
            _form(ReasonForm, label=gettext_lazy("What is still not working?")),
        ),
        done=gettext_lazy("The ticket is reopened."),
        event_label=gettext_lazy("reopened the ticket"),
        diagram_note="(the requester rejects or replies)",
    ),
    Transition(
        name="cancel",
        # The requester's page asks no code: they withdraw their request.
        run=lambda t, u, d: services.ticket_cancel(
            ticket=t, actor=u, code=d.get("code", ClosureCode.WITHDRAWN), reason=d["reason"]
        ),
        serializer=s.CancelSerializer,
        doc="Close from any open state with a cancellation code.",
        roles=AGENTS_AND_REQUESTER,
        staff_ui=Button(gettext_lazy("Cancel ticket"), "danger", _form(CancelForm)),
        requester_ui=Button(
            gettext_lazy("Withdraw my request"),
            "danger",
            _form(ReasonForm, required=False, label=gettext_lazy("Why do you withdraw it?")),
        ),
        done=gettext_lazy("The ticket is cancelled."),
        event_label=gettext_lazy("cancelled the ticket"),
    ),
    Transition(
        name="merge",
        run=lambda t, u, d: services.ticket_merge(
            ticket=t, into=merge_target(actor=u, into=d["into"]), actor=u
        ),
        serializer=s.MergeSerializer,
        doc="Agents: close this ticket as a duplicate of `into` (code duplicate, its SLA clocks "
        "cancelled); its conversation shows on `into` (to the requester of `into` only when both "
        "tickets are theirs). Each requester is notified once. 400 if `into` is this ticket, is "
        "closed or is not readable; 409 if this ticket is closed.",
        staff_ui=Button(gettext_lazy("Merge into another ticket"), "danger", _form(MergeForm)),
        done=gettext_lazy("Merged: the ticket is closed as a duplicate."),
        event_label=gettext_lazy("closed the ticket as a duplicate"),
        diagram_note="(into another ticket)",
    ),
)
BY_NAME: dict[str, Transition] = {row.name: row for row in TABLE}


def button_for(name: str, *, staff: bool) -> Button | None:
    """The page's button and form of a transition; None where the page does not offer it."""
    row = BY_NAME.get(name)
    if row is None:
        return None
    return row.staff_ui if staff else row.requester_ui


def transition_form(
    name: str,
    *,
    data: Any = None,
    tier: int = 1,
    staff: bool = True,
    ticket: Ticket | None = None,
) -> forms.Form:
    """The page's form of one transition, bound to `data` when given (triage: pre-filled
    from `ticket`)."""
    button = button_for(name, staff=staff)
    if button is None:
        raise Http404
    return button.form(data, name, tier, ticket)


def event_label(transition: str) -> Any:
    """The timeline's words for a transition's event (its name when it has none)."""
    row = BY_NAME.get(transition)
    return row.event_label if row is not None and row.event_label else transition


# --- the state diagram of docs/architecture.md -------------------------------------------------


def state_diagram() -> str:
    """The Mermaid diagram: an arrow per FSM source of each transition of the table (in the
    table's order; transitions between the same two states share one arrow)."""
    field = Ticket._meta.get_field("status")
    fsm: dict[str, list[tuple[str, str]]] = {}
    for transition in field.get_all_transitions(Ticket):  # type: ignore[attr-defined]
        fsm.setdefault(transition.name, []).append((str(transition.source), str(transition.target)))
    order = list(Status.values)
    arrows: dict[tuple[str, str], list[str]] = {}
    for row in TABLE:
        for edge in sorted(fsm.get(row.name, []), key=lambda edge: order.index(edge[0])):
            arrows.setdefault(edge, []).append(f"{row.name} {row.diagram_note}".strip())
    lines = ["```mermaid", "stateDiagram-v2", "    [*] --> new: ticket_create"]
    lines += [f"    {a} --> {b}: {' / '.join(labels)}" for (a, b), labels in arrows.items()]
    lines += ["    closed --> [*]", "```"]
    return "\n".join(lines) + "\n"
