"""Writes of the satisfaction surveys: ask when a ticket closes, record the one answer."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from csat.models import RATINGS, SatisfactionSurvey
from helpdesk.errors import ConflictError, DomainError
from notifications.models import Notification, NotificationKind
from notifications.services import notification_enqueue, register_context_builder
from tickets.models import Source, Status, Ticket

TOKEN_SALT = "csat.survey"  # noqa: S105 - a signing namespace, not a secret
MAX_COMMENT = 4000


def survey_token(*, survey: SatisfactionSurvey) -> str:
    """The signed link token: names the survey, its ticket and its nonce (nothing guessable)."""
    return signing.dumps([survey.pk, survey.ticket_id, survey.nonce], salt=TOKEN_SALT)


def survey_url(*, survey: SatisfactionSurvey) -> str:
    return f"{settings.SITE_URL}/csat/{survey_token(survey=survey)}/"


def csat_request(*, ticket: Ticket, at: datetime | None = None) -> SatisfactionSurvey | None:
    """Ask the requester of a just-closed ticket to rate it (the reaction to TicketClosed, inside
    the close transaction: tickets.hooks). Once per ticket; none for monitoring alerts, whose
    requester is an integration's service account."""
    if ticket.status != Status.CLOSED or ticket.source == Source.MONITORING:
        return None
    survey, created = SatisfactionSurvey.objects.get_or_create(
        ticket=ticket,
        defaults={
            "requester_id": ticket.requester_id,
            "tier": ticket.tier,
            "category_id": ticket.category_id,
            "agent_id": ticket.assignee_id,
            "requested_at": at or timezone.now(),
        },
    )
    if created:
        notification_enqueue(
            recipient=ticket.requester,
            kind=NotificationKind.CSAT_REQUEST,
            ticket=ticket,
            cause=f"csat:{survey.pk}",
        )
    return survey


def survey_answer(
    *, survey: SatisfactionSurvey, rating: Any, comment: str = "", actor: User | None = None
) -> SatisfactionSurvey:
    """Record the rating (1–5) and comment, once. `actor` is the signed-in user on the portal
    (must be the requester); None when the signed email link is the proof.

    A second answer (a double click, a second tab, a race) is a ConflictError: a compare-and-swap
    UPDATE on `answered_at IS NULL` lets exactly one through."""
    if actor is not None and actor.pk != survey.requester_id:
        raise PermissionDenied(_("Only the requester can rate this ticket."))
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if value not in RATINGS:
        raise DomainError(_("Choose a rating from 1 to 5."), field="rating")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise DomainError(_("The comment is too long."), field="comment")
    now = timezone.now()
    with transaction.atomic():
        answered = SatisfactionSurvey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
            rating=value, comment=comment, answered_at=now
        )
    if not answered:
        raise ConflictError(_("This ticket has already been rated. Thank you!"))
    survey.rating, survey.comment, survey.answered_at = value, comment, now
    return survey


# --- the email ---------------------------------------------------------------------------------


def _email_context(notification: Notification) -> dict[str, Any]:
    if notification.ticket_id is None:
        return {}
    survey = SatisfactionSurvey.objects.filter(ticket_id=notification.ticket_id).first()
    if survey is None:
        return {}
    url = survey_url(survey=survey)
    return {"csat_url": url, "csat_rating_urls": [(n, f"{url}?rating={n}") for n in RATINGS]}


def _sample_context() -> dict[str, Any]:
    url = f"{settings.SITE_URL}/csat/sample-token/"
    return {"csat_url": url, "csat_rating_urls": [(n, f"{url}?rating={n}") for n in RATINGS]}


def register_email_context() -> None:
    register_context_builder(
        kind=NotificationKind.CSAT_REQUEST, build=_email_context, sample=_sample_context
    )
