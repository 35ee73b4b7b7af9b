"""Reads of the integrations app."""

from django.db.models import Q, QuerySet

from integrations.models import AlertRule, Integration, MonitoredAlert
from integrations.rules import Rule
from integrations.tokens import token_id_of, token_matches
from tickets.models import Ticket


def integration_get_by_token(*, token: str, kind: str) -> Integration | None:
    """The active integration of this kind whose token this is, or None."""
    token_id = token_id_of(token)
    integration = (
        Integration.objects.select_related("service_account")
        .filter(token_id=token_id, kind=kind, is_active=True)
        .first()
        if token_id
        else None
    )
    stored = integration.token_hash if integration is not None else None
    if not token_matches(token=token, stored_hash=stored):
        return None
    return integration


def alert_rules_for(*, integration: Integration) -> list[Rule]:
    """The active mapping rules that apply to this integration, in evaluation order."""
    rows = AlertRule.objects.filter(
        Q(integration=integration) | Q(integration__isnull=True), is_active=True
    ).order_by("position", "id")
    return [
        Rule(
            label=row.label,
            pattern=row.pattern,
            category_id=row.category_id,
            impact=row.impact,
            urgency=row.urgency,
        )
        for row in rows
    ]


def monitored_alerts_for_ticket(*, ticket: Ticket) -> QuerySet[MonitoredAlert]:
    """The firings behind an incident, newest first (flap count, fire count, times).

    The caller has already passed the ticket through tickets.selectors.ticket_get_for_user, and
    shows this to staff only (labels are internal)."""
    return MonitoredAlert.objects.filter(ticket=ticket).select_related("integration")
