"""Merging a duplicate into another ticket."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk.errors import DomainError
from tickets import hooks
from tickets.models import EventKind, Status, Ticket, TicketEvent
from tickets.services.checks import require_agent_at_tier
from tickets.services.recipe import raise_not_allowed, transition


def ticket_merge(*, ticket: Ticket, into: Ticket, actor: User) -> Ticket:
    """Merge a duplicate into another ticket: `ticket` is closed as a duplicate of `into`
    (code duplicate, `merged_into` set; its running SLA clocks are cancelled, as any cancel's).

    Its conversation is then shown on `into` (tickets.views: staff see all of it; someone who
    is not staff sees it only when both tickets have the same requester). Each requester hears
    of it once: the duplicate's by its status email (which names `into` only when it is theirs
    too), the other ticket's — when it is someone else — by a `ticket_merged` email that names
    nobody. `into` gets a change event. Agents only, who may work on the duplicate; the caller
    reads `into` through the gate (ticket_get_for_user). Locks both rows in pk order.
    """
    if not actor.is_agent:
        raise PermissionDenied(_("Only support agents can do this."))
    now = timezone.now()
    with transaction.atomic():
        locked = {
            t.pk: t
            for t in Ticket.objects.select_for_update()
            .filter(pk__in=[ticket.pk, into.pk])
            .order_by("pk")
        }
        source, target = locked[ticket.pk], locked[into.pk]
        # As every transition: a lost race first (409), then whose ticket it is (403).
        if source.status == Status.CLOSED:
            raise_not_allowed(source, "merge")  # merged or closed meanwhile
        require_agent_at_tier(actor=actor, ticket=source)
        if source.pk == target.pk:
            raise DomainError(_("A ticket cannot be merged into itself."), field="into")
        if target.status == Status.CLOSED:
            raise DomainError(
                _("%(reference)s is closed: merge into an open ticket.")
                % {"reference": target.reference},
                field="into",
            )
        merged = transition(
            ticket=source,
            actor=actor,
            name="merge",
            check=lambda t: require_agent_at_tier(actor=actor, ticket=t),
            apply=lambda t: t.merge(into=target, at=now),
            at=now,
        )
        TicketEvent.objects.create(
            ticket=target,
            actor=actor,
            created_at=now,
            kind=EventKind.CHANGE,
            changes={"merged_ticket_id": [None, source.pk]},
        )
        hooks.publish(hooks.TicketMerged(duplicate=merged, into=target, actor=actor))
    return merged
