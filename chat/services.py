"""Chat notifications: channel writes, the hooks that write the chat outbox in the cause's
transaction, and delivery (one HTTP call per row, after commit, by a worker).

A delivery row is unique per (channel, event key), so a cause announces itself once per
channel however often its hook runs; a compare-and-swap claim lets one worker send a row.
A dead target costs only its own rows: each row is its own task with a short timeout, and a
failed row waits (exponential backoff) before the flush hands it out again.
"""

import http.client
import json
import logging
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from chat.crypto import SecretUnreadable, secret_open, secret_seal
from chat.destinations import DestinationRefused, guarded_opener, host_is_refused
from chat.models import (
    SUBSCRIBABLE_EVENTS,
    ChatChannel,
    ChatDelivery,
    ChatDeliveryStatus,
    ChatEvent,
    Platform,
)
from chat.payloads import (
    ChatMessage,
    matrix_payload,
    matrix_send_url,
    slack_payload,
    teams_payload,
)
from chat.selectors import ChatRoutes, chat_routes
from escalation.models import SupportGroup, Tier
from helpdesk.celery import TaskSlot
from helpdesk.errors import DomainError

# notifications_suppressed() (seed_demo's history) silences the chat outbox too.
from notifications.services import notifications_are_suppressed
from tickets.models import Priority, Ticket, TicketEvent

if TYPE_CHECKING:
    from incidents.models import MajorIncident, StatusUpdate
    from sla.models import SlaEvent

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A claim older than this belongs to a worker that died mid-send: the row is tried again.
STALE_CLAIM = timedelta(minutes=10)
# A failed send waits 30 s, 1 min, 2 min, … (at most an hour) before it is tried again.
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
HIGH_PRIORITIES = {Priority.P1, Priority.P2}
ESCALATING_TRANSITIONS = {"escalate", "escalate_for_breach"}


# --- channels (managers) -----------------------------------------------------------------------


def _require_manager(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_manager):
        raise PermissionDenied(_("Only managers can change this."))


def chat_address_clean(*, value: str, field_name: str) -> str:
    """A webhook or homeserver URL as typed: http(s), with a host that is not internal
    (chat.destinations; the host is checked again, resolved, when a message is sent)."""
    value = value.strip()
    host: str | None = None
    try:
        parts = urlsplit(value)
        host = parts.hostname
        valid = parts.scheme in ("http", "https") and bool(host)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        valid = False
    if not valid:
        raise DomainError(_("Enter an http:// or https:// address."), field=field_name)
    if host_is_refused(host or ""):
        # The host is not named back: in a webhook URL it sits next to the secret.
        raise DomainError(
            _(
                "This address is inside the server's own network (loopback, private, "
                "link-local or another non-public address): chat messages are not sent "
                "there. An operator can allow an internal chat server with "
                "HELPDESK_CHAT_ALLOWED_HOSTS."
            ),
            field=field_name,
        )
    return value


def chat_room_id_clean(*, value: str) -> str:
    """A Matrix room ID as typed: `!abc:example.org` (an alias, `#room:server`, is not one)."""
    value = value.strip()
    if not (value.startswith("!") and ":" in value):
        raise DomainError(
            _("Enter the room ID: it starts with ! and names its server (!abc:example.org)."),
            field="room_id",
        )
    return value


def chat_channel_save(
    *,
    actor: User,
    channel: ChatChannel | None,
    name: str,
    support_group: SupportGroup,
    platform: str,
    events: Iterable[str],
    language: str,
    is_enabled: bool,
    homeserver: str = "",
    room_id: str = "",
    secret: str = "",
) -> ChatChannel:
    """Create or change a channel. `secret` (the webhook URL, or Matrix's access token) is
    required on create and when the platform changes; left blank on a change it is kept."""
    _require_manager(actor)
    name = name.strip()
    if not name:
        raise DomainError(_("A name is required."), field="name")
    if platform not in Platform.values:
        raise DomainError(_("Unknown platform."), field="platform")
    events = sorted(set(events))
    known = {value for value, _label in SUBSCRIBABLE_EVENTS}
    if not events or set(events) - known:
        raise DomainError(_("Choose at least one event from the list."), field="events")
    if language not in {code for code, _label in settings.LANGUAGES}:
        raise DomainError(_("Unknown language."), field="language")
    secret = secret.strip()
    if not secret and (channel is None or channel.platform != platform):
        raise DomainError(
            _("Enter the webhook URL.")
            if platform != Platform.MATRIX
            else _("Enter the access token."),
            field="secret",
        )
    if platform == Platform.MATRIX:
        homeserver = chat_address_clean(value=homeserver, field_name="homeserver")
        room_id = chat_room_id_clean(value=room_id)
    else:
        homeserver, room_id = "", ""
        if secret:
            secret = chat_address_clean(value=secret, field_name="secret")
    chat_channel_name_check(name=name, channel=channel)
    channel = channel or ChatChannel()
    channel.name, channel.support_group, channel.platform = name, support_group, platform
    channel.events, channel.language, channel.is_enabled = events, language, is_enabled
    channel.homeserver, channel.room_id = homeserver, room_id
    if secret:
        channel.secret_encrypted = secret_seal(secret)
        channel.secret_last4 = secret[-4:]
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError:
        # Two managers saving the same name at once: the unique index decides, the loser gets
        # the same message as a duplicate found beforehand (never a 500).
        chat_channel_name_check(name=name, channel=channel if channel.pk else None)
        raise
    return channel


def chat_channel_name_check(*, name: str, channel: ChatChannel | None) -> None:
    """A name is one channel's, whatever its case or group (the chat_channel_unique_name
    constraint): two channels of one name were told apart nowhere."""
    duplicate = ChatChannel.objects.filter(name__iexact=name)
    if channel is not None:
        duplicate = duplicate.exclude(pk=channel.pk)
    found = duplicate.select_related("support_group").first()
    if found is not None:
        raise DomainError(
            _("There is already a chat channel named “%(name)s” (%(group)s): choose another name.")
            % {"name": found.name, "group": found.support_group.name},
            field="name",
        )


def chat_channel_delete(*, actor: User, channel: ChatChannel) -> None:
    _require_manager(actor)
    channel.delete()


def chat_channel_send_test(*, actor: User, channel: ChatChannel) -> ChatDelivery:
    """Queue a test message (a disabled channel too: test before switching it on)."""
    _require_manager(actor)
    with transaction.atomic():
        delivery = ChatDelivery.objects.create(
            channel=channel,
            event=ChatEvent.TEST,
            event_key=f"test:{uuid.uuid4().hex}",
            context={"by": actor.name},
        )
        transaction.on_commit(lambda: _hand_to_workers([delivery.pk]))
    return delivery


# --- the outbox --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatOutgoing:
    channel_id: int
    event: str
    event_key: str
    ticket_id: int | None
    context: dict[str, Any] = field(default_factory=dict)


def chat_enqueue_many(*, rows: Iterable[ChatOutgoing]) -> list[int]:
    """Write the rows whose (channel, event key) is new, in one statement; hand them to the
    workers once the caller's transaction commits. The ids written now."""
    if notifications_are_suppressed():
        return []
    unique = {(row.channel_id, row.event_key): row for row in rows}
    if not unique:
        return []
    now = timezone.now()
    meta = ChatDelivery._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    deliveries = [
        ChatDelivery(
            channel_id=row.channel_id,
            event=row.event,
            event_key=row.event_key,
            ticket_id=row.ticket_id,
            context=row.context,
            created_at=now,
        )
        for row in unique.values()
    ]
    values = [
        f.get_db_prep_save(f.pre_save(delivery, add=True), connection)
        for delivery in deliveries
        for f in fields
    ]
    quote = connection.ops.quote_name
    placeholders = f"({', '.join(['%s'] * len(fields))})"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608 (model names)
        f"VALUES {', '.join([placeholders] * len(deliveries))} "
        f"ON CONFLICT ({quote('channel_id')}, {quote('event_key')}) DO NOTHING "
        f"RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        ids = [pk for (pk,) in cursor.fetchall()]
    if ids:
        transaction.on_commit(lambda: _hand_to_workers(ids))
    return ids


# The task that sends a row: chat.tasks builds on this module, so chat.apps plugs it in.
DELIVER = TaskSlot("chat.tasks.deliver_chat")


def _hand_to_workers(delivery_ids: list[int]) -> None:
    """One task per row: a slow or dead target holds up only its own rows."""
    deliver_chat = DELIVER.get()
    for delivery_id in delivery_ids:
        try:
            deliver_chat.delay(delivery_id)
        except Exception:  # the broker is down: the flush hands it out later
            logger.warning("broker unavailable; chat delivery %s left for the flush", delivery_id)
            return


# --- the hooks (inside the cause's transaction; no query while nothing is subscribed) ---------


def _ticket_groups(*, ticket: Ticket, routes: ChatRoutes, tier: int | None = None) -> list[int]:
    """The ticket's group, or every group of its tier while it has none (e.g. escalated)."""
    if ticket.support_group_id is not None and tier is None:
        return [ticket.support_group_id]
    return routes.groups_by_tier.get(tier or ticket.tier, [])


def _rows(
    *, routes: ChatRoutes, groups: list[int], event: str, key: str, ticket: Ticket, context: dict
) -> list[ChatOutgoing]:
    return [
        ChatOutgoing(channel_id, event, key, ticket.pk, context)
        for channel_id in routes.channel_ids(group_ids=groups, event=event)
    ]


def chat_on_ticket_change(*, ticket: Ticket, event: TicketEvent | None) -> None:
    """Reaction to TicketTransitioned and TicketChanged (tickets.hooks), after routing: a
    priority that became P1/P2 (once per ticket and priority), an escalation to a tier's groups."""
    if event is None:
        return
    priority = event.changes.get("priority")
    high = bool(priority) and priority[1] in HIGH_PRIORITIES
    escalated = event.transition in ESCALATING_TRANSITIONS
    if not (high or escalated):
        return  # most changes: not even the channel lookup
    routes = chat_routes()
    if not routes.channels:
        return
    rows: list[ChatOutgoing] = []
    if high:
        rows += _rows(
            routes=routes,
            groups=_ticket_groups(ticket=ticket, routes=routes),
            event=ChatEvent.HIGH_PRIORITY,
            key=f"ticket:{ticket.pk}:priority:{priority[1]}",
            ticket=ticket,
            context={"priority": priority[1]},
        )
    if escalated:
        rows += _escalation_rows(
            routes=routes, ticket=ticket, event_id=event.pk, tier=ticket.tier, reason=event.reason
        )
    chat_enqueue_many(rows=rows)


def _escalation_rows(
    *, routes: ChatRoutes, ticket: Ticket, event_id: int, tier: int, reason: str
) -> list[ChatOutgoing]:
    return _rows(
        routes=routes,
        groups=_ticket_groups(ticket=ticket, routes=routes, tier=tier),
        event=ChatEvent.ESCALATED,
        key=f"event:{event_id}",
        ticket=ticket,
        context={"tier": tier, "reason": reason},
    )


def chat_on_sla_events(
    *,
    events: Iterable[tuple["SlaEvent", Ticket, bool]],
    escalated: Iterable[tuple[Ticket, int, str]] = (),
) -> None:
    """The SLA sweep, both paths: (event, its ticket as the event found it, whether its clock
    is still the current one) — a warning of a stopped clock is dropped, as its emails are —
    and the batch path's escalations (ticket before, its escalation event id, reason). One
    insert however many events (the set-based path keeps a constant number of statements)."""
    from sla.models import SlaEventKind

    routes = chat_routes()
    if not routes.channels:
        return
    rows: list[ChatOutgoing] = []
    for event, ticket, current in events:
        breach = event.kind == SlaEventKind.BREACH
        if not breach and not current:
            continue
        rows += _rows(
            routes=routes,
            groups=_ticket_groups(ticket=ticket, routes=routes),
            event=ChatEvent.SLA_BREACH if breach else ChatEvent.SLA_WARNING,
            key=f"sla-event:{event.pk}",
            ticket=ticket,
            context={
                "metric": event.metric,
                "threshold": event.kind,
                "due_at": event.due_at.isoformat(),
            },
        )
    for ticket, event_id, reason in escalated:
        rows += _escalation_rows(
            routes=routes, ticket=ticket, event_id=event_id, tier=ticket.tier + 1, reason=reason
        )
    chat_enqueue_many(rows=rows)


def chat_on_status_update(*, incident: "MajorIncident", update: "StatusUpdate") -> None:
    """incidents.services, for each public update; the first one (posted with the declaration,
    at the incident's start) announces the declaration."""
    routes = chat_routes()
    if not routes.channels:
        return
    declared = update.created_at == incident.started_at
    chat_enqueue_many(
        rows=_rows(
            routes=routes,
            groups=_ticket_groups(ticket=incident.ticket, routes=routes),
            event=ChatEvent.MAJOR_INCIDENT_DECLARED
            if declared
            else ChatEvent.MAJOR_INCIDENT_UPDATED,
            key=f"status-update:{update.pk}",
            ticket=incident.ticket,
            context={"update_id": update.pk},
        )
    )


# --- delivery ----------------------------------------------------------------------------------


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def _claim(*, delivery_id: int, now: datetime) -> bool:
    """Compare-and-swap to `sending`: only one worker ever sends a row (retries included)."""
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    if (
        ChatDelivery.objects.filter(due, pk=delivery_id, status=ChatDeliveryStatus.PENDING).update(
            status=ChatDeliveryStatus.SENDING, claimed_at=now
        )
        == 1
    ):
        return True
    return (
        ChatDelivery.objects.filter(
            pk=delivery_id, status=ChatDeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM
        ).update(claimed_at=now)
        == 1
    )


def retry_delay(*, attempts: int) -> timedelta:
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_MAX)


def chat_delivery_deliver(*, delivery_id: int) -> bool:
    """Send one row if it is due and nobody else has; True when this call sent it."""
    now = timezone.now()
    if not _claim(delivery_id=delivery_id, now=now):
        return False
    delivery = ChatDelivery.objects.select_related("channel", "ticket").get(pk=delivery_id)
    try:
        if not delivery.channel.is_enabled and delivery.event != ChatEvent.TEST:
            raise SendError("the channel is disabled", permanent=True)
        _post(delivery=delivery, message=chat_message(delivery=delivery))
    except (SendError, SecretUnreadable) as exc:
        attempts = delivery.attempts + 1
        failed = getattr(exc, "permanent", True) or attempts >= MAX_ATTEMPTS
        ChatDelivery.objects.filter(pk=delivery_id).update(
            status=ChatDeliveryStatus.FAILED if failed else ChatDeliveryStatus.PENDING,
            attempts=attempts,
            last_error=str(exc)[:2000],
            claimed_at=None,
            next_attempt_at=None if failed else timezone.now() + retry_delay(attempts=attempts),
        )
        logger.warning("chat delivery %s failed (attempt %s): %s", delivery_id, attempts, exc)
        return False
    ChatDelivery.objects.filter(pk=delivery_id).update(
        status=ChatDeliveryStatus.SENT,
        sent_at=timezone.now(),
        attempts=delivery.attempts + 1,
        last_error="",
        next_attempt_at=None,
    )
    return True


def _post(*, delivery: ChatDelivery, message: ChatMessage) -> None:
    channel = delivery.channel
    secret = secret_open(channel.secret_encrypted)
    headers = {"Content-Type": "application/json", "User-Agent": "helpdesk-chat/1"}
    if channel.platform == Platform.MATRIX:
        # The transaction id is the row's: a retry of a send that did arrive is one message.
        url = matrix_send_url(
            homeserver=channel.homeserver,
            room_id=channel.room_id,
            txn_id=f"helpdesk-chat-{delivery.pk}",
        )
        method, body = "PUT", matrix_payload(message)
        headers["Authorization"] = f"Bearer {secret}"
    else:
        url, method = secret, "POST"
        body = (
            slack_payload(message) if channel.platform == Platform.SLACK else teams_payload(message)
        )
    if urlsplit(url).scheme not in ("http", "https"):
        raise SendError("not an http(s) address", permanent=True)
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, data=json.dumps(body).encode(), headers=headers, method=method
    )
    timeout = settings.HELPDESK_CHAT_TIMEOUT_SECONDS
    try:
        # Public addresses only, resolved once and checked; no redirects (chat.destinations).
        with guarded_opener().open(request, timeout=timeout) as response:
            response.read(1024)
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            # Where it points is not followed (nor named: it could be anywhere).
            raise SendError(f"HTTP {exc.code}: a redirect, not followed", permanent=True) from exc
        detail = exc.read(300).decode(errors="replace")
        # 4xx other than 408/429: the target refuses this request (gone, bad token); a retry
        # would be refused too.
        permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
        raise SendError(f"HTTP {exc.code}: {detail}", permanent=permanent) from exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # OSError: refused, unreachable, timed out (URLError and TimeoutError are OSErrors).
        # The URL may carry the webhook's secret: the error names only the failure.
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, DestinationRefused):
            # The channel (or its DNS answer) points inside the network: refused for good.
            logger.error("chat channel %s: %s", channel.pk, reason)
            raise SendError(f"refused: {reason}", permanent=True) from exc
        raise SendError(f"{type(exc).__name__}: {reason}") from exc


def chat_due_ids(*, older_than: timedelta, limit: int = 500) -> list[int]:
    """Rows whose hand-off was lost (broker down, worker killed) or whose retry is due."""
    now = timezone.now()
    pending = ChatDelivery.objects.filter(
        status__in=[ChatDeliveryStatus.PENDING, ChatDeliveryStatus.SENDING],
        created_at__lt=now - older_than,
    )
    due = pending.filter(
        Q(status=ChatDeliveryStatus.PENDING)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        | Q(status=ChatDeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM)
    )
    return list(due.order_by("created_at").values_list("pk", flat=True)[:limit])


# --- the message, in the channel's language ----------------------------------------------------


def _ticket_url(ticket: Ticket) -> str:
    return f"{settings.SITE_URL}/tickets/{ticket.pk}/"


def _ticket_facts(ticket: Ticket) -> list[tuple[str, str]]:
    return [
        (_("Priority"), str(Priority(ticket.priority).label)),
        (_("Tier"), str(Tier(ticket.tier).label)),
        (_("Status"), str(ticket.get_status_display())),
    ]


def chat_message(*, delivery: ChatDelivery) -> ChatMessage:
    """What a row says, built when it is sent (the ticket as it is then)."""
    with translation.override(delivery.channel.language):
        return _message(delivery)


def _message(delivery: ChatDelivery) -> ChatMessage:
    context, ticket = delivery.context, delivery.ticket
    if delivery.event == ChatEvent.TEST or ticket is None:
        return ChatMessage(
            title=_("Test message from the helpdesk"),
            text=_("This channel is set up correctly: %(group)s will hear of its events here.")
            % {"group": delivery.channel.support_group.name},
            url=f"{settings.SITE_URL}/chat/",
            link_label=_("Chat channels"),
        )
    values = {"reference": ticket.reference, "title": ticket.title}
    link = _("Open the ticket")
    facts = _ticket_facts(ticket)
    if delivery.event == ChatEvent.HIGH_PRIORITY:
        label = Priority(int(context.get("priority", ticket.priority))).label
        title = _("New %(priority)s ticket: %(reference)s") % {**values, "priority": label}
        return ChatMessage(title, ticket.title, _ticket_url(ticket), link, facts)
    if delivery.event == ChatEvent.ESCALATED:
        tier = Tier(int(context.get("tier", ticket.tier))).label
        title = _("Escalated to %(tier)s: %(reference)s") % {**values, "tier": tier}
        reason = context.get("reason", "")
        text = f"{ticket.title}\n{reason}" if reason else ticket.title
        return ChatMessage(title, text, _ticket_url(ticket), link, facts)
    if delivery.event in (ChatEvent.SLA_WARNING, ChatEvent.SLA_BREACH):
        return _sla_message(delivery, ticket, values, facts)
    return _incident_message(delivery, ticket, values, facts)


def _sla_message(
    delivery: ChatDelivery, ticket: Ticket, values: dict[str, str], facts: list[tuple[str, str]]
) -> ChatMessage:
    from sla.models import Metric, SlaEventKind

    context = delivery.context
    due = datetime.fromisoformat(context["due_at"])
    due_text = timezone.localtime(due).strftime("%Y-%m-%d %H:%M %Z")
    metric = Metric(context["metric"]).label
    if delivery.event == ChatEvent.SLA_BREACH:
        title = _("SLA breached: %(reference)s") % values
        text = _("%(metric)s target breached: it was due at %(due)s.") % {
            "metric": metric,
            "due": due_text,
        }
    else:
        percent = "75" if context.get("threshold") == SlaEventKind.WARNING75 else "90"
        title = _("SLA at risk: %(reference)s") % values
        text = _("%(metric)s: %(percent)s %% of the target used, due at %(due)s.") % {
            "metric": metric,
            "percent": percent,
            "due": due_text,
        }
    return ChatMessage(
        title, f"{ticket.title}\n{text}", _ticket_url(ticket), _("Open the ticket"), facts
    )


def _incident_message(
    delivery: ChatDelivery, ticket: Ticket, values: dict[str, str], facts: list[tuple[str, str]]
) -> ChatMessage:
    from incidents.models import StatusUpdate

    update = (
        StatusUpdate.objects.select_related("major_incident")
        .filter(pk=delivery.context.get("update_id"))
        .first()
    )
    spanish = translation.get_language() == "es"
    if delivery.event == ChatEvent.MAJOR_INCIDENT_DECLARED:
        title = _("Major incident declared: %(reference)s") % values
    else:
        title = _("Major incident update: %(reference)s") % values
    text = ticket.title
    if update is not None:
        incident = update.major_incident
        public_title = (spanish and incident.public_title_es) or incident.public_title
        message = (spanish and update.message_es) or update.message
        text = f"{public_title}\n{message}"
        facts = [(_("Incident status"), str(update.get_status_display())), *facts]
    return ChatMessage(title, text, _ticket_url(ticket), _("Open the ticket"), facts)
