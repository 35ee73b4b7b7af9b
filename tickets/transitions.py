"""Which transitions a user may run on a ticket now: what the UI offers and the API lists."""

from accounts.models import User
from escalation.membership import agent_tiers
from tickets.models import Status, Ticket

# The order the UI shows them in.
TRANSITIONS = [
    "triage",
    "identify",
    "categorize",
    "prioritize",
    "take",
    "start_diagnosis",
    "escalate",
    "deescalate",
    "reassign",
    "hold",
    "resume",
    "resolve",
    "close",
    "reopen",
    "cancel",
    "merge",
]
REQUESTER_TRANSITIONS = {"close", "reopen", "cancel"}
TRIAGE_STATES = {Status.NEW, Status.LOGGED, Status.CATEGORIZED}
# States where someone works on the ticket, so it can change hands within its tier.
REASSIGNABLE_STATES = {Status.IN_DIAGNOSIS, Status.ON_HOLD}


def allowed_transitions(*, ticket: Ticket, user: User) -> list[str]:
    if not user.is_authenticated:
        return []
    possible = {t.name for t in ticket.get_available_status_transitions()}  # type: ignore[attr-defined]
    if ticket.status in REASSIGNABLE_STATES:
        possible.add("reassign")  # a field change within the tier, not an FSM transition
    if ticket.status in TRIAGE_STATES:
        possible.add("triage")
    if user.pk == ticket.requester_id and not user.is_agent:
        allowed = possible & REQUESTER_TRANSITIONS
    elif user.is_agent:
        tiers = agent_tiers(user=user)
        if ticket.tier in tiers:
            allowed = possible
        elif ticket.assignee_id == user.pk:
            allowed = possible - {"take"}
        else:
            allowed = set()
    else:
        allowed = set()
    return [name for name in TRANSITIONS if name in allowed]
