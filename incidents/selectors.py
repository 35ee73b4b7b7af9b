"""Reads of major incidents. The public ones return only what the status page may show."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from incidents.models import MajorIncident, MajorIncidentLink, StatusUpdate

HISTORY_DAYS = 90


def _require_staff(user: User) -> None:
    if not (user.is_authenticated and user.is_active and user.is_staff_member):
        raise Http404(_("No such major incident."))


def major_incidents_for_staff(*, user: User) -> QuerySet[MajorIncident]:
    _require_staff(user)
    return MajorIncident.objects.select_related("ticket", "owner")


def major_incident_get_for_user(*, user: User, incident_id: int) -> MajorIncident:
    """Agents and managers only; anyone else gets a 404."""
    _require_staff(user)
    try:
        return MajorIncident.objects.select_related("ticket", "owner").get(pk=incident_id)
    except (MajorIncident.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such major incident.")) from None


def major_incident_of_ticket(*, ticket_id: int) -> MajorIncident | None:
    """The major incident a ticket is, or is linked to, if any (one query)."""
    return (
        MajorIncident.objects.filter(Q(ticket_id=ticket_id) | Q(links__ticket_id=ticket_id))
        .distinct()
        .first()
    )


def major_incident_links(*, incident: MajorIncident) -> QuerySet[MajorIncidentLink]:
    return incident.links.select_related("ticket__requester", "linked_by")


def major_incident_updates(*, incident: MajorIncident) -> QuerySet[StatusUpdate]:
    return incident.updates.select_related("author")


@dataclass(frozen=True)
class StatusPage:
    current: list[MajorIncident]
    history: list[MajorIncident]
    affected_services: list[str]


def _public_updates() -> Prefetch:
    # Only public fields are read by the templates; `author` is deliberately not loaded.
    return Prefetch("updates", queryset=StatusUpdate.objects.order_by("-created_at", "-id"))


def status_page(*, now: datetime | None = None) -> StatusPage:
    """Current major incidents and those resolved in the last 90 days (2 queries)."""
    now = now or timezone.now()
    since = now - timedelta(days=HISTORY_DAYS)
    incidents = list(
        MajorIncident.objects.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=since))
        .order_by("-started_at", "-id")
        .prefetch_related(_public_updates())
    )
    current = [incident for incident in incidents if incident.resolved_at is None]
    history = [incident for incident in incidents if incident.resolved_at is not None]
    services = sorted({name for incident in current for name in incident.services})
    return StatusPage(current=current, history=history, affected_services=services)


def current_major_incidents() -> list[MajorIncident]:
    """The unresolved major incidents, newest first, public fields only (one query)."""
    return list(
        MajorIncident.objects.filter(resolved_at__isnull=True).order_by("-started_at", "-id")
    )


def status_feed_updates(*, now: datetime | None = None, limit: int = 50) -> list[StatusUpdate]:
    now = now or timezone.now()
    return list(
        StatusUpdate.objects.filter(created_at__gte=now - timedelta(days=HISTORY_DAYS))
        .select_related("major_incident")
        .order_by("-created_at", "-id")[:limit]
    )
