"""Every write to a ticket (docs/architecture.md, "One recipe for every write"), by concern:

- `recipe`: lock the row, transition, save, record the event, publish what happened
  (tickets.hooks) — the one recipe every transition goes through;
- `checks`: who may do what now, and the input rules the services share;
- `create`: new tickets and the requester an address stands for;
- `triage`: identify, categorize, prioritize;
- `lifecycle`: the transitions after triage, and the auto-close job;
- `update`: details and classification changed without a state change;
- `merge`: a duplicate closed into another ticket;
- `conversation`: replies and internal notes;
- `attachments`: the upload limits and storage.

Callers import from here (`from tickets import services; services.ticket_take(...)`).
"""

from tickets.services.attachments import attachment_add, attachment_validate
from tickets.services.conversation import comment_create
from tickets.services.create import requester_for_email, ticket_create
from tickets.services.lifecycle import (
    ticket_cancel,
    ticket_close,
    ticket_deescalate,
    ticket_escalate,
    ticket_escalate_for_breach,
    ticket_hold,
    ticket_reassign,
    ticket_recover,
    ticket_relapse,
    ticket_reopen,
    ticket_resolve,
    ticket_resolve_with_parent,
    ticket_resume,
    ticket_start_diagnosis,
    ticket_take,
    tickets_auto_close,
)
from tickets.services.merge import ticket_merge
from tickets.services.recipe import MILESTONE_FIELDS, TRACKED_FIELDS, raise_not_allowed
from tickets.services.triage import (
    ticket_categorize,
    ticket_identify,
    ticket_prioritize,
    ticket_triage,
)
from tickets.services.update import ticket_update

__all__ = [
    "MILESTONE_FIELDS",
    "TRACKED_FIELDS",
    "attachment_add",
    "attachment_validate",
    "comment_create",
    "raise_not_allowed",
    "requester_for_email",
    "ticket_cancel",
    "ticket_categorize",
    "ticket_close",
    "ticket_create",
    "ticket_deescalate",
    "ticket_escalate",
    "ticket_escalate_for_breach",
    "ticket_hold",
    "ticket_identify",
    "ticket_merge",
    "ticket_prioritize",
    "ticket_reassign",
    "ticket_recover",
    "ticket_relapse",
    "ticket_reopen",
    "ticket_resolve",
    "ticket_resolve_with_parent",
    "ticket_resume",
    "ticket_start_diagnosis",
    "ticket_take",
    "ticket_triage",
    "ticket_update",
    "tickets_auto_close",
]
