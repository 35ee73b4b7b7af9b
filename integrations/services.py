"""Monitoring intake: alerts open, deduplicate, flap and auto-resolve incidents.

One delivery (a webhook call) is one transaction, serialised per integration by a row lock on
the integration: two deliveries of the same alert never open two incidents, and a half-processed
delivery never stays written. Incidents go through the normal ticket services (create, then
triage by the system with actor None), so routing and SLA hooks apply to them as to any ticket.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Role, User
from helpdesk.errors import DomainError
from helpdesk.text import shows_something
from integrations.models import AlertStatus, Integration, IntegrationKind, MonitoredAlert
from integrations.rules import Classification, classify
from integrations.selectors import alert_rules_for
from integrations.tokens import token_generate, token_hash
from tickets import services as ticket_services
from tickets.models import Category, Comment, Kind, Level, Source, Status, Ticket

# The states the system may resolve from: nobody has taken the incident yet.
RECOVERABLE_STATES = {
    Status.NEW,
    Status.LOGGED,
    Status.CATEGORIZED,
    Status.PRIORITIZED,
    Status.ESCALATED,
}


class Outcome:
    OPENED = "opened"  # a new incident
    REPEATED = "repeated"  # the same firing again: only counted
    FLAPPED = "flapped"  # fired again soon after recovering: back to the same incident
    CONTINUED = "continued"  # a new start while still firing: same incident
    RESOLVED = "resolved"  # the incident was resolved by the system
    NOTED = "noted"  # recovered, but an agent has the incident: internal note for them
    ACKNOWLEDGED = "acknowledged"
    IGNORED = "ignored"  # nothing known to resolve or acknowledge


@dataclass(frozen=True)
class AlertNotice:
    """One alert as a monitoring system reported it, normalised."""

    fingerprint: str
    status: str  # AlertStatus
    starts_at: datetime | None  # None: the helpdesk dates it (events without a start time)
    ends_at: datetime | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    generator_url: str = ""


@dataclass(frozen=True)
class AlertResult:
    fingerprint: str
    outcome: str
    ticket: Ticket | None


# --- integrations and their tokens -------------------------------------------------------------


def integration_create(
    *,
    name: str,
    kind: str,
    default_category: Category,
    default_impact: str = Level.MEDIUM,
    default_urgency: str = Level.MEDIUM,
    flap_window_minutes: int = 30,
    is_active: bool = True,
) -> tuple[Integration, str]:
    """A new integration with its service account; returns it and its token (shown once)."""
    name = name.strip()
    if not name:
        raise DomainError(_("A name is required."), field="name")
    if kind not in IntegrationKind.values:
        raise DomainError(_("Unknown integration kind."), field="kind")
    if default_impact not in Level.values or default_urgency not in Level.values:
        raise DomainError(_("Impact and urgency must be high, medium or low."))
    token_id, token = token_generate()
    with transaction.atomic():
        account = User(
            username=f"integration-{slugify(name)[:100] or 'monitoring'}-{token_id}",
            display_name=name[:150],
            role=Role.REQUESTER,
            # Never signs in: no password, inactive (sessions, API tokens and mail all refuse it).
            is_active=False,
        )
        account.set_unusable_password()
        account.save()
        integration = Integration.objects.create(
            name=name,
            kind=kind,
            is_active=is_active,
            service_account=account,
            default_category=default_category,
            default_impact=default_impact,
            default_urgency=default_urgency,
            flap_window_minutes=flap_window_minutes,
            token_id=token_id,
            token_hash=token_hash(token),
            token_rotated_at=timezone.now(),
        )
    return integration, token


def integration_rotate_token(*, integration: Integration) -> str:
    """Replace the token; the old one stops working at once. Returns the new one (shown once)."""
    token_id, token = token_generate()
    Integration.objects.filter(pk=integration.pk).update(
        token_id=token_id, token_hash=token_hash(token), token_rotated_at=timezone.now()
    )
    integration.refresh_from_db()
    return token


# --- deliveries ---------------------------------------------------------------------------------


def alertmanager_delivery_process(
    *, integration: Integration, alerts: list[AlertNotice]
) -> list[AlertResult]:
    """Apply one Alertmanager webhook delivery: each alert is keyed by fingerprint + startsAt."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_integration(integration)
        results = []
        for notice in alerts:
            if notice.starts_at is None:
                raise DomainError(_("startsAt is required."), field="startsAt")
            if notice.status == AlertStatus.FIRING:
                results.append(_fired(integration=locked, notice=notice, now=now))
            else:
                existing = _firing_with_key(locked, notice.fingerprint, notice.starts_at)
                results.append(
                    _recovered(integration=locked, alert=existing, notice=notice, now=now)
                )
    return results


def events_v2_process(
    *, integration: Integration, action: str, dedup_key: str, notice: AlertNotice | None
) -> tuple[str, AlertResult]:
    """Apply one generic event (trigger / acknowledge / resolve), keyed by its dedup_key.

    Returns the dedup_key (generated for a trigger without one) and what happened."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_integration(integration)
        if action == "trigger":
            if notice is None:
                raise DomainError(_("A trigger needs a payload."), field="payload")
            dedup_key = dedup_key or uuid.uuid4().hex
            notice = AlertNotice(
                fingerprint=dedup_key,
                status=AlertStatus.FIRING,
                starts_at=None,
                labels=notice.labels,
                annotations=notice.annotations,
                generator_url=notice.generator_url,
            )
            return dedup_key, _fired(integration=locked, notice=notice, now=now)
        if not dedup_key:
            raise DomainError(
                _("dedup_key is required to %(action)s.") % {"action": action}, field="dedup_key"
            )
        latest = _latest(locked, dedup_key)
        firing = latest if latest is not None and latest.status == AlertStatus.FIRING else None
        if action == "resolve":
            resolved = AlertNotice(
                fingerprint=dedup_key, status=AlertStatus.RESOLVED, starts_at=None
            )
            return dedup_key, _recovered(integration=locked, alert=firing, notice=resolved, now=now)
        if action == "acknowledge":
            if firing is None:
                return dedup_key, AlertResult(dedup_key, Outcome.IGNORED, None)
            firing.last_seen_at = now
            firing.save(update_fields=["last_seen_at", "updated_at"])
            source = notice.labels.get("source", "") if notice else ""
            _note(
                ticket=firing.ticket,
                author=locked.service_account,
                internal=True,
                body=_("The alert was acknowledged in the monitoring system%(source)s at %(time)s.")
                % {"source": f" ({source})" if source else "", "time": _when(now)},
            )
            return dedup_key, AlertResult(dedup_key, Outcome.ACKNOWLEDGED, firing.ticket)
        raise DomainError(_("Unknown event_action."), field="event_action")


# --- firing ---------------------------------------------------------------------------------


def _fired(*, integration: Integration, notice: AlertNotice, now: datetime) -> AlertResult:
    starts_at = notice.starts_at or now
    if notice.starts_at is None:
        # Events have no start time: a trigger repeats while the key's latest firing is open.
        latest = _latest(integration, notice.fingerprint)
        same = latest if latest is not None and latest.status == AlertStatus.FIRING else None
    else:
        same = _firing_with_key(integration, notice.fingerprint, starts_at)
        latest = None
    if same is not None:
        if same.status == AlertStatus.FIRING:
            same.fire_count += 1
            same.last_seen_at = now
            same.save(update_fields=["fire_count", "last_seen_at", "updated_at"])
            return AlertResult(notice.fingerprint, Outcome.REPEATED, same.ticket)
        return _refired_same_start(integration=integration, alert=same, notice=notice, now=now)
    if notice.starts_at is not None:
        latest = _latest(integration, notice.fingerprint)
    return _new_firing(
        integration=integration, notice=notice, starts_at=starts_at, previous=latest, now=now
    )


def _new_firing(
    *,
    integration: Integration,
    notice: AlertNotice,
    starts_at: datetime,
    previous: MonitoredAlert | None,
    now: datetime,
) -> AlertResult:
    """A firing not seen before: a new incident, or the previous one (flap or continuation)."""
    fingerprint = notice.fingerprint
    if previous is None or previous.ticket.status == Status.CLOSED:
        ticket = _open_incident(integration=integration, notice=notice, previous=previous)
        _create_alert(integration, notice, starts_at, ticket, previous, 0, now)
        return AlertResult(fingerprint, Outcome.OPENED, ticket)
    if previous.status == AlertStatus.FIRING:
        # Restarted while still firing (e.g. the monitoring system lost its state): same incident.
        previous.status, previous.resolved_at = AlertStatus.RESOLVED, now
        previous.save(update_fields=["status", "resolved_at", "updated_at"])
        _create_alert(
            integration, notice, starts_at, previous.ticket, previous, previous.flap_count, now
        )
        return AlertResult(fingerprint, Outcome.CONTINUED, previous.ticket)
    assert previous.resolved_at is not None  # noqa: S101 - the check constraint guarantees it
    gap = starts_at - previous.resolved_at
    window = timedelta(minutes=integration.flap_window_minutes)
    if integration.flap_window_minutes and gap <= window:
        flaps = previous.flap_count + 1
        _create_alert(integration, notice, starts_at, previous.ticket, previous, flaps, now)
        ticket = _reopen_for_flap(
            integration=integration, ticket=previous.ticket, gap=gap, flaps=flaps
        )
        return AlertResult(fingerprint, Outcome.FLAPPED, ticket)
    ticket = _open_incident(integration=integration, notice=notice, previous=previous)
    _create_alert(integration, notice, starts_at, ticket, previous, 0, now)
    return AlertResult(fingerprint, Outcome.OPENED, ticket)


def _refired_same_start(
    *, integration: Integration, alert: MonitoredAlert, notice: AlertNotice, now: datetime
) -> AlertResult:
    """A resolved firing reported firing again with the same start: it never really ended."""
    gap = now - (alert.resolved_at or now)
    alert.status, alert.resolved_at = AlertStatus.FIRING, None
    alert.fire_count += 1
    alert.flap_count += 1
    alert.last_seen_at = now
    if alert.ticket.status == Status.CLOSED:
        alert.ticket = _open_incident(integration=integration, notice=notice, previous=alert)
        alert.save()
        return AlertResult(notice.fingerprint, Outcome.OPENED, alert.ticket)
    alert.save()
    ticket = _reopen_for_flap(
        integration=integration, ticket=alert.ticket, gap=gap, flaps=alert.flap_count
    )
    return AlertResult(notice.fingerprint, Outcome.FLAPPED, ticket)


def _reopen_for_flap(
    *, integration: Integration, ticket: Ticket, gap: timedelta, flaps: int
) -> Ticket:
    """Show the flap on the incident; if it had been resolved, it is open again."""
    reason = _(
        "Flapping: the alert fired again %(minutes)d minutes after it recovered "
        "(flap %(count)d on this incident)."
    ) % {"minutes": max(0, int(gap.total_seconds() // 60)), "count": flaps}
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == Status.RESOLVED:
        if ticket.assignee_id is None:
            # Recovered by the system: back to its tier's queue.
            ticket = ticket_services.ticket_relapse(ticket=ticket, reason=reason)
        else:
            # An agent resolved it: the requester (this integration) rejects the resolution.
            ticket = ticket_services.ticket_reopen(
                ticket=ticket, actor=integration.service_account, reason=reason
            )
    _note(ticket=ticket, author=integration.service_account, internal=True, body=reason)
    return ticket


def _open_incident(
    *, integration: Integration, notice: AlertNotice, previous: MonitoredAlert | None
) -> Ticket:
    classification = classify(
        labels=notice.labels,
        rules=alert_rules_for(integration=integration),
        default=Classification(
            category_id=integration.default_category_id,
            impact=integration.default_impact,
            urgency=integration.default_urgency,
        ),
    )
    category = Category.objects.filter(pk=classification.category_id, is_active=True).first()
    if category is None:
        category = integration.default_category
    ticket = ticket_services.ticket_create(
        requester=integration.service_account,
        title=_title(notice),
        description=_description(notice, previous=previous),
        urgency=classification.urgency,
        kind=Kind.INCIDENT,
        source=Source.MONITORING,
        affected=(notice.labels.get("service") or notice.labels.get("instance") or "")[:200],
    )
    return ticket_services.ticket_triage(
        ticket=ticket,
        actor=None,
        kind=Kind.INCIDENT,
        category=category,
        impact=classification.impact,
        urgency=classification.urgency,
    )


def _create_alert(
    integration: Integration,
    notice: AlertNotice,
    starts_at: datetime,
    ticket: Ticket,
    previous: MonitoredAlert | None,
    flap_count: int,
    now: datetime,
) -> MonitoredAlert:
    return MonitoredAlert.objects.create(
        integration=integration,
        fingerprint=notice.fingerprint,
        starts_at=starts_at,
        ticket=ticket,
        status=AlertStatus.FIRING,
        last_seen_at=now,
        previous=previous,
        flap_count=flap_count,
        labels=notice.labels,
        generator_url=notice.generator_url[:1000],
    )


# --- recovery -------------------------------------------------------------------------------


def _recovered(
    *,
    integration: Integration,
    alert: MonitoredAlert | None,
    notice: AlertNotice,
    now: datetime,
) -> AlertResult:
    if alert is None or alert.status == AlertStatus.RESOLVED:
        # Never seen firing (or already resolved): nothing to do.
        return AlertResult(notice.fingerprint, Outcome.IGNORED, alert.ticket if alert else None)
    ended = notice.ends_at if notice.ends_at is not None and notice.ends_at <= now else now
    alert.status, alert.resolved_at, alert.last_seen_at = AlertStatus.RESOLVED, ended, now
    alert.save(update_fields=["status", "resolved_at", "last_seen_at", "updated_at"])
    ticket = Ticket.objects.select_for_update().get(pk=alert.ticket_id)
    if ticket.status in RECOVERABLE_STATES and ticket.assignee_id is None:
        summary = _("Recovered at %(time)s: the monitoring system reports the alert resolved.") % {
            "time": _when(ended)
        }
        ticket = ticket_services.ticket_recover(ticket=ticket, summary=summary, at=now)
        _note(ticket=ticket, author=integration.service_account, internal=False, body=summary)
        return AlertResult(notice.fingerprint, Outcome.RESOLVED, ticket)
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        return AlertResult(notice.fingerprint, Outcome.IGNORED, ticket)
    _note(
        ticket=ticket,
        author=integration.service_account,
        internal=True,
        body=_(
            "The monitoring system reports the alert recovered at %(time)s. The incident stays "
            "open because an agent is working on it: resolve it once you have confirmed."
        )
        % {"time": _when(ended)},
    )
    return AlertResult(notice.fingerprint, Outcome.NOTED, ticket)


# --- helpers ----------------------------------------------------------------------------------


def _lock_integration(integration: Integration) -> Integration:
    locked = (
        Integration.objects.select_for_update()
        .select_related("service_account", "default_category")
        .filter(pk=integration.pk, is_active=True)
        .first()
    )
    if locked is None:
        raise DomainError(_("This integration is disabled."))
    return locked


def _firing_with_key(
    integration: Integration, fingerprint: str, starts_at: datetime
) -> MonitoredAlert | None:
    return (
        MonitoredAlert.objects.select_related("ticket")
        .filter(integration=integration, fingerprint=fingerprint, starts_at=starts_at)
        .first()
    )


def _latest(integration: Integration, fingerprint: str) -> MonitoredAlert | None:
    return (
        MonitoredAlert.objects.select_related("ticket")
        .filter(integration=integration, fingerprint=fingerprint)
        .order_by("-starts_at", "-id")
        .first()
    )


def _note(*, ticket: Ticket, author: User, internal: bool, body: str) -> Comment:
    """A note written by the integration itself (its service account is the requester)."""
    return Comment.objects.create(
        ticket=ticket, author=author, body=body, is_internal=internal, created_at=timezone.now()
    )


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _title(notice: AlertNotice) -> str:
    labels, annotations = notice.labels, notice.annotations
    title = annotations.get("summary") or annotations.get("title") or ""
    if not title:
        title = labels.get("alertname") or notice.fingerprint
        if labels.get("instance"):
            title = _("%(alert)s on %(instance)s") % {
                "alert": title,
                "instance": labels["instance"],
            }
    title = " ".join(title.split())[:200]
    return title if shows_something(title) else notice.fingerprint[:200]


def _description(notice: AlertNotice, *, previous: MonitoredAlert | None) -> str:
    annotations = dict(notice.annotations)
    parts = []
    text = annotations.pop("description", "") or annotations.pop("message", "")
    if text:
        parts.append(text.strip())
    if notice.labels:
        parts.append(
            _("Labels:") + "\n" + "\n".join(f"  {k}={v}" for k, v in sorted(notice.labels.items()))
        )
    if annotations:
        parts.append(
            _("Annotations:")
            + "\n"
            + "\n".join(f"  {k}: {v}" for k, v in sorted(annotations.items()))
        )
    if notice.starts_at is not None:
        parts.append(_("Firing since %(time)s.") % {"time": _when(notice.starts_at)})
    if notice.generator_url:
        parts.append(_("Source: %(url)s") % {"url": notice.generator_url})
    parts.append(_("Alert key: %(key)s") % {"key": notice.fingerprint})
    if previous is not None:
        parts.append(
            _("This alert fired before: see %(reference)s.")
            % {"reference": previous.ticket.reference}
        )
    return "\n\n".join(parts)
