"""The notification outbox: enqueue inside a transaction, deliver once after commit."""

import json
import logging
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404
from django.template import Context, TemplateDoesNotExist, engines
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from helpdesk.celery import TaskSlot
from helpdesk.errors import DomainError
from helpdesk.gather import Gatherer, gathering
from helpdesk.prepared import prepared_cursor
from notifications.models import (
    IN_APP_KINDS,
    UNMUTABLE_KINDS,
    DeliveryStatus,
    InAppNotification,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from notifications.selectors import kinds_for_user, muted_kinds
from notifications.threads import notification_message_id, ticket_thread_id
from ops.requestid import continued, current_request_id
from tickets.models import Comment, Status, Ticket

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A claim older than this belongs to a worker that died mid-send: the row is retried.
STALE_CLAIM = timedelta(minutes=10)
# Failed sends wait 30 s, 1 min, 2 min, … (at most an hour) before the sweep retries them.
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
# Every text email starts with this line; inbound mail cuts a reply at it (any language).
REPLY_MARKER_PREFIX = "##-"

SUBJECTS = {
    NotificationKind.TICKET_CREATED: _("[%(reference)s] We have received your request"),
    NotificationKind.PUBLIC_REPLY: _("[%(reference)s] New reply: %(title)s"),
    NotificationKind.ESCALATED_TO_TIER: _("[%(reference)s] Escalated to your tier: %(title)s"),
    NotificationKind.MAJOR_INCIDENT_UPDATE: _("[%(reference)s] Service incident update"),
    NotificationKind.MAJOR_INCIDENT_OVERDUE: _(
        "[%(reference)s] Major incident: the next update is overdue"
    ),
    NotificationKind.REQUESTER_REPLIED: _("[%(reference)s] The requester replied: %(title)s"),
    NotificationKind.STATUS_CHANGED: _("[%(reference)s] Your ticket is now %(status)s"),
    NotificationKind.ASSIGNED: _("[%(reference)s] Assigned to you: %(title)s"),
    NotificationKind.RAISED_TO_MANAGER: _("[%(reference)s] Raised to management: %(title)s"),
    NotificationKind.ONCALL_PAGE: _("[%(reference)s] P1 — you are on call: %(title)s"),
    NotificationKind.CALL_INVITATION: _("[%(reference)s] Call with support: %(title)s"),
    NotificationKind.CALL_CANCELLED: _("[%(reference)s] Call cancelled: %(title)s"),
    # Breach emails name no ticket and no detail: only a link to the restricted register.
    NotificationKind.BREACH_FLAGGED: _("A suspected data breach has been flagged"),
    NotificationKind.BREACH_CLOCK_WARNING: _("A data-breach notification deadline is approaching"),
    NotificationKind.BREACH_CLOCK_OVERDUE: _("A data-breach notification deadline has passed"),
    NotificationKind.SLA_WARNING: _("[%(reference)s] SLA at risk: %(title)s"),
    NotificationKind.SLA_BREACH: _("[%(reference)s] SLA breached: %(title)s"),
    NotificationKind.CSAT_REQUEST: _("[%(reference)s] How did we do? %(title)s"),
    NotificationKind.PASSWORD_RESET: _("Choose a new password"),
    NotificationKind.SIGN_UP: _("Confirm your email address and choose a password"),
    NotificationKind.ACCOUNT_EXISTS: _("You already have an account"),
    NotificationKind.PASSWORD_CHANGED: _("Your password was changed"),
    NotificationKind.TRACKING_LINK: _("[%(reference)s] Your new tracking link"),
    NotificationKind.GUEST_CLAIM: _("Add the requests sent under your address to your account"),
    NotificationKind.TICKET_MERGED: _("[%(reference)s] Another report was added to your ticket"),
    NotificationKind.MENTIONED: _("[%(reference)s] You were mentioned: %(title)s"),
    NotificationKind.OLA_BREACH: _("[%(reference)s] OLA breached: %(title)s"),
}


@dataclass
class EmailExtras:
    """More template context and attachments (filename, content, MIME type) for one email."""

    context: dict[str, Any] = field(default_factory=dict)
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


# Kinds whose email needs more than the ticket: a function (dotted path) called at send time, in
# the recipient's language, given the notification and returning EmailExtras. The outbox row
# keeps only ids (e.g. {"call_id": 7}), so the email shows the object as it is when sent.
EMAIL_EXTRAS = {
    NotificationKind.CALL_INVITATION: "escalation.ics.call_email_extras",
    NotificationKind.CALL_CANCELLED: "escalation.ics.call_email_extras",
}


def _email_extras(notification: Notification) -> EmailExtras:
    path = EMAIL_EXTRAS.get(NotificationKind(notification.kind))
    if path is None:
        return EmailExtras()
    render: Callable[[Notification], EmailExtras] = import_string(path)
    return render(notification)


# --- extra template context, per kind --------------------------------------------------------

ContextBuilder = Callable[[Notification], dict[str, Any]]


@dataclass(frozen=True)
class _Builder:
    build: ContextBuilder
    sample: Callable[[], dict[str, Any]]


_CONTEXT_BUILDERS: dict[str, _Builder] = {}


def register_context_builder(
    *, kind: str, build: ContextBuilder, sample: Callable[[], dict[str, Any]]
) -> None:
    """Let an app add objects to its emails' context (called from its AppConfig.ready).

    `build` runs inside the recipient's language and time zone, at send time; `sample` gives
    the manager's template preview something to show.
    """
    _CONTEXT_BUILDERS[kind] = _Builder(build=build, sample=sample)


# --- enqueue -----------------------------------------------------------------------------------

_SUPPRESSED: ContextVar[bool] = ContextVar("notifications_suppressed", default=False)


@contextmanager
def notifications_suppressed() -> Iterator[None]:
    """Write history without telling anyone: no outbox row is written inside this block.

    For the demo data's past (`seed_demo`): weeks of tickets must not become hundreds of emails
    that delay the real ones when the demo starts.
    """
    token = _SUPPRESSED.set(True)
    try:
        yield
    finally:
        _SUPPRESSED.reset(token)


def notifications_are_suppressed() -> bool:
    """Inside `notifications_suppressed()`: other outboxes (chat) write nothing either."""
    return _SUPPRESSED.get()


def recipient_address(*, recipient: User, ticket: Ticket | None) -> str:
    """Where a recipient's email goes: their address; a guest requester (a ticket sent from the
    public form under an address that was already known, tickets/guests.py) has none of their
    own, so their ticket's contact address."""
    if recipient.email:
        return recipient.email
    if ticket is not None and ticket.requester_id == recipient.pk:
        return ticket.contact_email
    return ""


@dataclass(frozen=True)
class _InApp:
    """One bell row to write (InAppNotification)."""

    recipient_id: int
    kind: str
    ticket_id: int | None
    dedupe_key: str


def _in_app_rows(rows: Iterable["Outgoing"]) -> list[_InApp]:
    """The bell rows for these messages: active recipients, kinds the bell shows, once per key.

    No address is needed (a guest requester without one still signs in); the recipients'
    in-app preferences are applied by the insert itself (`_in_app_cte`).
    """
    found: dict[str, _InApp] = {}
    for row in rows:
        if row.kind in IN_APP_KINDS and row.recipient.is_active and row.recipient.pk:
            key = _dedupe_key(kind=row.kind, cause=row.cause, recipient=row.recipient)
            found.setdefault(
                key,
                _InApp(row.recipient.pk, str(row.kind), row.ticket.pk if row.ticket else None, key),
            )
    return list(found.values())


def _dedupe_key(*, kind: str, cause: str, recipient: User) -> str:
    return f"{kind}:{cause}:{recipient.pk}"


def _in_app_cte(rows: list[_InApp]) -> tuple[str, list[Any]]:
    """`in_app AS (INSERT …)`: a WITH clause (PostgreSQL) put before the outbox's own INSERT so
    both channels are written by one statement; rows of a kind the recipient muted for the bell
    (NotificationPreference.muted_in_app_kinds) are left out by the insert's own filter."""
    table = InAppNotification._meta.db_table
    preferences = NotificationPreference._meta.db_table
    sql = (
        f"in_app AS (INSERT INTO {table} (recipient_id, kind, ticket_id, dedupe_key, created_at) "  # noqa: S608 (model tables)
        "SELECT v.r, v.k, v.t, v.d, %s "
        "FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::text[]) AS v(r, k, t, d) "
        f"WHERE NOT EXISTS (SELECT 1 FROM {preferences} p WHERE p.user_id = v.r "
        "AND p.muted_in_app_kinds @> jsonb_build_array(v.k)) "
        "ON CONFLICT (dedupe_key) DO NOTHING)"
    )
    return sql, [
        timezone.now(),
        [row.recipient_id for row in rows],
        [row.kind for row in rows],
        [row.ticket_id for row in rows],
        [row.dedupe_key for row in rows],
    ]


def _insert_in_app(rows: list[_InApp]) -> None:
    """The bell rows alone (no email is written for them: no address, or email muted)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        cte, params = _in_app_cte(rows)
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {cte} SELECT 1", params)
        return
    # SQLite (the embedded mode): the preferences in Python, then one insert.
    muted = dict(
        NotificationPreference.objects.filter(
            user_id__in={row.recipient_id for row in rows}
        ).values_list("user_id", "muted_in_app_kinds")
    )
    InAppNotification.objects.bulk_create(
        [
            InAppNotification(
                recipient_id=row.recipient_id,
                kind=row.kind,
                ticket_id=row.ticket_id,
                dedupe_key=row.dedupe_key,
            )
            for row in rows
            if row.kind not in muted.get(row.recipient_id, ())
        ],
        ignore_conflicts=True,
    )


def _insert_new(
    notifications: list[Notification], *, in_app: list[_InApp] | None = None
) -> dict[str, int]:
    """Insert the rows whose dedupe key is new; their ids by dedupe key.

    One statement (INSERT … ON CONFLICT DO NOTHING RETURNING, PostgreSQL and SQLite 3.35+)
    however many rows, where get_or_create takes four per row (SELECT, SAVEPOINT, INSERT,
    RELEASE). On PostgreSQL the same statement writes the `in_app` bell rows.
    """
    meta = Notification._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [
        f.get_db_prep_save(f.pre_save(notification, add=True), connection)
        for notification in notifications
        for f in fields
    ]
    prefix = ""
    if in_app and connection.vendor == "postgresql":
        cte, params = _in_app_cte(in_app)
        prefix, values = f"WITH {cte} ", [*params, *values]
    elif in_app:
        _insert_in_app(in_app)
    quote = connection.ops.quote_name
    row = f"({', '.join(['%s'] * len(fields))})"
    columns = ", ".join(quote(f.column) for f in fields)
    sql = (
        f"{prefix}INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 (model names)
        f"VALUES {', '.join([row] * len(notifications))} "
        f"ON CONFLICT ({quote('dedupe_key')}) DO NOTHING "
        f"RETURNING {quote(meta.pk.column)}, {quote('dedupe_key')}"
    )
    with prepared_cursor(connection.alias, rows=len(notifications) + len(in_app or ())) as cursor:
        cursor.execute(sql, values)
        return {key: pk for pk, key in cursor.fetchall()}


def _insert_once(
    notification: Notification, *, in_app: list[_InApp] | None = None
) -> tuple[Notification, bool]:
    """The row, inserted unless its dedupe key exists: (the row, whether it is new)."""
    inserted = _insert_new([notification], in_app=in_app)
    if not inserted:  # written before for the same cause and recipient
        return Notification.objects.get(dedupe_key=notification.dedupe_key), False
    notification.pk = inserted[notification.dedupe_key]
    notification._state.adding = False
    return notification, True


def _with_request_id(context: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of `context` naming the request (or task) that caused the message: the worker
    that sends it logs this id too."""
    context = dict(context or {})
    if request_id := current_request_id():
        context.setdefault("request_id", request_id)
    return context


def notification_fan_out(
    *,
    recipients: Iterable[User],
    kind: str,
    ticket: Ticket | None,
    cause: str,
    context: dict[str, Any] | None = None,
) -> list[int]:
    """`notification_enqueue` of one message to many recipients, in a constant number of
    statements (`notifications_enqueue_many`); the ids of the rows written now."""
    return notifications_enqueue_many(
        rows=[
            Outgoing(recipient=r, kind=kind, ticket=ticket, cause=cause, context=context or {})
            for r in recipients
        ]
    )


def notification_enqueue(
    *,
    recipient: User,
    kind: str,
    ticket: Ticket | None,
    cause: str,
    context: dict[str, Any] | None = None,
) -> Notification | None:
    """Write an outbox row (once per cause and recipient) and hand it to a worker on commit;
    the bell's row (InAppNotification) in the same statement. Returns the email's row.

    No email is written for a recipient without an address, an inactive one, or one who muted
    this kind (unless the kind cannot be muted, see UNMUTABLE_KINDS); no bell row for an
    inactive recipient, a kind the bell does not show (IN_APP_KINDS) or one muted for the
    bell; nothing at all inside `notifications_suppressed()`.
    """
    if _SUPPRESSED.get() or not recipient.is_active:
        return None
    in_app = _in_app_rows([Outgoing(recipient=recipient, kind=kind, ticket=ticket, cause=cause)])
    if not recipient_address(recipient=recipient, ticket=ticket) or (
        kind not in UNMUTABLE_KINDS and kind in muted_kinds(user=recipient)
    ):
        _insert_in_app(in_app)
        return None
    context = _with_request_id(context)
    notification, created = _insert_once(
        Notification(
            dedupe_key=_dedupe_key(kind=kind, cause=cause, recipient=recipient),
            recipient=recipient,
            kind=kind,
            ticket=ticket,
            context=context,
        ),
        in_app=in_app,
    )
    if created:
        transaction.on_commit(lambda: _hand_to_worker(notification.pk))
    return notification


@dataclass(frozen=True)
class Outgoing:
    """One outbox row for `notifications_enqueue_many`: what `notification_enqueue` takes."""

    recipient: User
    kind: str
    ticket: Ticket | None
    cause: str
    context: dict[str, Any] = field(default_factory=dict)


def notifications_enqueue_many(*, rows: Iterable[Outgoing]) -> list[int]:
    """`notification_enqueue` for many rows at once, for the batch writers (the SLA sweep).

    The same rows: the same filters (no address, inactive, muted, suppressed) and dedupe keys,
    so a row already written for a cause and recipient is not written again. A constant number
    of statements whatever the number of rows (the recipients' muted kinds, the insert — the
    bell's rows are written by the same INSERT on PostgreSQL) and one hand-off to a worker on
    commit for all of them. Returns the ids handed over (the rows still pending).
    """
    if _SUPPRESSED.get():
        return []
    rows = list(rows)
    in_app = _in_app_rows(rows)
    rows = [
        row
        for row in rows
        if row.recipient.is_active and recipient_address(recipient=row.recipient, ticket=row.ticket)
    ]
    mutable = {row.recipient.pk for row in rows if row.kind not in UNMUTABLE_KINDS}
    muted: dict[int, frozenset[str]] = {}
    if mutable:
        muted = {
            user_id: frozenset(kinds)
            for user_id, kinds in NotificationPreference.objects.filter(
                user_id__in=mutable
            ).values_list("user_id", "muted_kinds")
        }
    outbox: dict[str, Outgoing] = {}
    for row in rows:
        if row.kind not in UNMUTABLE_KINDS and row.kind in muted.get(row.recipient.pk, ()):
            continue
        outbox.setdefault(_dedupe_key(kind=row.kind, cause=row.cause, recipient=row.recipient), row)
    if not outbox:
        _insert_in_app(in_app)
        return []
    # A row already written for the same cause and recipient stays as it is (exactly once).
    if connection.vendor == "postgresql":
        ids = _insert_outbox(outbox, in_app=in_app)
    else:
        _insert_in_app(in_app)
        Notification.objects.bulk_create(
            [
                Notification(
                    dedupe_key=key,
                    recipient=row.recipient,
                    kind=row.kind,
                    ticket=row.ticket,
                    context=_with_request_id(row.context),
                )
                for key, row in outbox.items()
            ],
            ignore_conflicts=True,
        )
        ids = list(
            Notification.objects.filter(
                dedupe_key__in=list(outbox), status=DeliveryStatus.PENDING
            ).values_list("pk", flat=True)
        )
    if ids:
        transaction.on_commit(lambda: _hand_many_to_worker(ids))
    return ids


def _insert_outbox(outbox: dict[str, Outgoing], *, in_app: list[_InApp]) -> list[int]:
    """One INSERT … SELECT unnest(…) ON CONFLICT DO NOTHING RETURNING id: no model instances
    (bulk_create's per-value preparation cost seconds for a few thousand rows). The bell's
    rows ride in a WITH clause of the same statement (the sweep's statement count is pinned)."""
    table = Notification._meta.db_table
    prefix, params = "", list[Any]()
    if in_app:
        cte, params = _in_app_cte(in_app)
        prefix = f"WITH {cte} "
    with connection.cursor() as cursor:
        cursor.execute(
            f"{prefix}INSERT INTO {table} (recipient_id, kind, ticket_id, context, dedupe_key, "  # noqa: S608 (a model's table)
            "status, attempts, last_error, created_at) "
            "SELECT r, k, t, c::jsonb, d, %s, 0, '', %s "
            "FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::text[], %s::text[]) "
            "AS v(r, k, t, c, d) "
            "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
            [
                *params,
                DeliveryStatus.PENDING.value,
                timezone.now(),
                [row.recipient.pk for row in outbox.values()],
                [str(row.kind) for row in outbox.values()],
                [row.ticket.pk if row.ticket else None for row in outbox.values()],
                [json.dumps(_with_request_id(row.context)) for row in outbox.values()],
                list(outbox),
            ],
        )
        return [pk for (pk,) in cursor.fetchall()]


def notification_add_context(*, notification: Notification, **values: str) -> None:
    """Add to a row's context before it is sent (e.g. the inbound Message-ID it answers)."""
    Notification.objects.filter(pk=notification.pk, status=DeliveryStatus.PENDING).update(
        context={**notification.context, **values}
    )


# The tasks that deliver rows: notifications.tasks builds on this module, so notifications.apps
# plugs them in.
DELIVER_ONE = TaskSlot("notifications.tasks.deliver_notification")
DELIVER_MANY = TaskSlot("notifications.tasks.deliver_notifications")


def _hand_to_worker(notification_id: int) -> None:
    if gathering():
        GATHERED.put([notification_id])  # published with other rows (helpdesk.gather)
        return
    deliver_notification = DELIVER_ONE.get()
    try:
        deliver_notification.delay(notification_id)
    except Exception:  # the broker is down: the outbox sweep delivers it later
        logger.warning(
            "broker unavailable; notification %s left for the outbox sweep", notification_id
        )


def _hand_many_to_worker(notification_ids: list[int]) -> None:
    if gathering():
        GATHERED.put(notification_ids)
        return
    _publish_many(notification_ids)


def _publish_many(notification_ids: list[int]) -> None:
    """One publish for a batch of rows (the outbox flush delivers them if it is lost)."""
    deliver_notifications = DELIVER_MANY.get()
    try:
        deliver_notifications.delay(notification_ids)
    except Exception:  # the broker is down: the outbox sweep delivers them later
        logger.warning(
            "broker unavailable; %s notifications left for the outbox sweep", len(notification_ids)
        )


GATHERED: Gatherer[int] = Gatherer("notifications", send=_publish_many)


# --- preferences -------------------------------------------------------------------------------


def notification_preferences_update(
    *, user: User, muted: Iterable[str], muted_in_app: Iterable[str] | None = None
) -> list[str]:
    """Save the kinds the user does not want by email (and, when given, in the bell); unknown
    and unmutable kinds are refused. `muted_in_app=None` leaves the bell's choice as it is."""
    kinds = kinds_for_user(user=user)
    labels = {kind: label for kind, label, _mutable in kinds}
    allowed = {kind for kind, _label, mutable in kinds if mutable}
    muted = sorted(set(muted))
    defaults: dict[str, list[str]] = {"muted_kinds": muted}
    not_theirs = [kind for kind in muted if kind not in labels]
    refused = [kind for kind in muted if kind in labels and kind not in allowed]
    if muted_in_app is not None:
        in_app = {kind for kind in labels if kind in IN_APP_KINDS}
        defaults["muted_in_app_kinds"] = sorted(set(muted_in_app))
        not_theirs += [kind for kind in defaults["muted_in_app_kinds"] if kind not in in_app]
    if not_theirs:
        raise DomainError(
            _("You are never sent these notifications, so they cannot be set: %(kinds)s")
            % {"kinds": ", ".join(sorted(set(not_theirs)))},
            field="muted_kinds",
        )
    if refused:
        raise DomainError(
            _("These notifications cannot be turned off: %(kinds)s")
            % {"kinds": ", ".join(refused)},
            field="muted_kinds",
        )
    NotificationPreference.objects.update_or_create(user=user, defaults=defaults)
    return muted


# --- the bell ----------------------------------------------------------------------------------


def in_app_mark_read(*, user: User, notification_id: int) -> InAppNotification:
    """Mark one of the user's bell notifications read (again: a no-op); another's is a 404."""
    try:
        notification = InAppNotification.objects.select_related("ticket").get(
            pk=notification_id, recipient=user
        )
    except (InAppNotification.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such notification.")) from None
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def in_app_mark_all_read(*, user: User) -> int:
    """Mark every unread bell notification of the user read; how many were."""
    return InAppNotification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def in_app_purge(*, now: datetime | None = None) -> int:
    """Delete bell notifications read more than HELPDESK_IN_APP_READ_RETENTION_DAYS ago and
    unread ones older than HELPDESK_IN_APP_UNREAD_RETENTION_DAYS; how many were deleted."""
    now = now or timezone.now()
    read_before = now - timedelta(days=settings.HELPDESK_IN_APP_READ_RETENTION_DAYS)
    unread_before = now - timedelta(days=settings.HELPDESK_IN_APP_UNREAD_RETENTION_DAYS)
    deleted, _by_model = InAppNotification.objects.filter(
        Q(read_at__lt=read_before) | Q(read_at__isnull=True, created_at__lt=unread_before)
    ).delete()
    return deleted


# --- delivery ----------------------------------------------------------------------------------


def _claim(*, notification_id: int) -> bool:
    """Compare-and-swap pending → sending, so only one worker ever sends a row."""
    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, claimed_at=now
    )
    if claimed:
        return True
    return bool(
        Notification.objects.filter(
            pk=notification_id, status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM
        ).update(claimed_at=now)
    )


def _recipient_zone(user: User) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _ticket_context(notification: Notification) -> dict[str, Any]:
    ticket = notification.ticket
    extra: dict[str, Any] = {}
    comment_id = notification.context.get("comment_id")
    if ticket is not None and comment_id:
        comment = (
            Comment.objects.filter(pk=comment_id, ticket=ticket).select_related("author").first()
        )
        # An internal note never reaches a requester, whatever the row says.
        if comment is not None and (
            not comment.is_internal or notification.recipient.is_staff_member
        ):
            extra["comment"] = comment
    if ticket is not None:
        token = ticket.tracking_token
        extra["tracking_url"] = f"{settings.SITE_URL}/t/{token}/"
        extra["agent_url"] = f"{settings.SITE_URL}/tickets/{ticket.pk}/"
        to_status = notification.context.get("to_status") or ticket.status
        extra["to_status"] = to_status
        extra["to_status_label"] = Status(to_status).label if to_status in Status.values else ""
        extra["auto_close_days"] = settings.HELPDESK_AUTO_CLOSE_DAYS
        if to_status == Status.RESOLVED:
            extra["confirm_url"] = f"{settings.SITE_URL}/t/{token}/?do=close"
            extra["reopen_url"] = f"{settings.SITE_URL}/t/{token}/?do=reopen"
    return extra


def _headers(notification: Notification) -> dict[str, str]:
    ticket = notification.ticket
    headers = {
        # RFC 3834: we are a robot; autoresponders must not answer (and loop with) us.
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }
    reply_to: str = getattr(settings, "HELPDESK_REPLY_TO", "")
    if reply_to:
        headers["Reply-To"] = reply_to
    if ticket is None:
        headers["Message-ID"] = notification_message_id(
            notification_id=notification.pk, ticket_id=None
        )
        return headers
    root = ticket_thread_id(ticket.pk)
    origin = notification.context.get("in_reply_to", "")
    headers["X-Helpdesk-Ticket"] = ticket.reference
    if notification.kind == NotificationKind.TICKET_CREATED:
        # The acknowledgement starts the thread; it answers the requester's email if there was one.
        headers["Message-ID"] = root
        if origin:
            headers["In-Reply-To"] = origin
            headers["References"] = origin
    else:
        headers["Message-ID"] = notification_message_id(
            notification_id=notification.pk, ticket_id=ticket.pk
        )
        headers["In-Reply-To"] = root
        headers["References"] = f"{origin} {root}" if origin else root
    return headers


def render_text(template_name: str, context: dict[str, Any]) -> str:
    """A plain-text email body: no HTML escaping (a quote stays a quote). The HTML part escapes
    this text once when it renders it (emails/base.html); escaping it here too sent users
    `&amp;quot;`."""
    template = engines["django"].engine.get_template(template_name)  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=False)))


def render_notification(
    *, notification: Notification, extra_context: dict[str, Any] | None = None
) -> EmailMultiAlternatives:
    """The email for one row, in the recipient's language and time zone."""
    recipient = notification.recipient
    ticket = notification.ticket
    zone = _recipient_zone(recipient)
    with translation.override(recipient.language), timezone.override(zone):
        # A preview (extra_context given) has no saved object to attach or look up.
        extras = _email_extras(notification) if extra_context is None else EmailExtras()
        context: dict[str, Any] = {
            "recipient": recipient,
            "ticket": ticket,
            "site_url": settings.SITE_URL,
            "language": translation.get_language(),
            "reply_marker": REPLY_MARKER_PREFIX,
            **notification.context,
            **extras.context,
            **_ticket_context(notification),
        }
        builder = _CONTEXT_BUILDERS.get(notification.kind)
        if extra_context is not None:
            context.update(extra_context)
        elif builder is not None:
            context.update(builder.build(notification))
        subject_values = {
            "reference": ticket.reference if ticket else "",
            "title": ticket.title if ticket else "",
            "status": context.get("to_status_label", "") if ticket else "",
        }
        subject = str(SUBJECTS[NotificationKind(notification.kind)]) % subject_values
        text = render_text(f"emails/{notification.kind}.txt", context)
        html_context = {
            **context,
            "body": text,
            "body_without_marker": "\n".join(
                line for line in text.splitlines() if not line.startswith(REPLY_MARKER_PREFIX)
            ).strip(),
            "subject": subject,
        }
        try:
            html = render_to_string(f"emails/{notification.kind}.html", html_context)
        except TemplateDoesNotExist:
            html = render_to_string("emails/base.html", html_context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient_address(recipient=recipient, ticket=ticket)],
        headers=_headers(notification),
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in extras.attachments:
        message.attach(filename, content, mimetype)
    return message


def notification_deliver(*, notification_id: int) -> bool:
    """Send one outbox row if nobody else has; True when this call sent it."""
    if not _claim(notification_id=notification_id):
        return False
    notification = Notification.objects.select_related("recipient", "ticket").get(
        pk=notification_id
    )
    with continued(notification.context.get("request_id")):
        return _send(notification)


def _send(notification: Notification) -> bool:
    notification_id = notification.pk
    try:
        render_notification(notification=notification).send()
    except Exception as exc:
        attempts = notification.attempts + 1
        failed = attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=notification_id).update(
            status=DeliveryStatus.FAILED if failed else DeliveryStatus.PENDING,
            attempts=attempts,
            last_error=str(exc)[:2000],
            claimed_at=None,
            next_attempt_at=None if failed else timezone.now() + retry_delay(attempts=attempts),
        )
        logger.warning("notification %s failed (attempt %s): %s", notification_id, attempts, exc)
        return False
    Notification.objects.filter(pk=notification_id).update(
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        attempts=notification.attempts + 1,
        next_attempt_at=None,
    )
    logger.info("notification %s (%s) sent", notification_id, notification.kind)
    return True


def retry_delay(*, attempts: int) -> timedelta:
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_MAX)


def outbox_pending_ids(*, older_than: timedelta, limit: int = 500) -> list[int]:
    """Rows whose hand-off was lost (broker down, worker killed) or whose retry is due."""
    now = timezone.now()
    pending = Notification.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
        created_at__lt=now - older_than,
    )
    due = pending.filter(next_attempt_at__isnull=True) | pending.filter(next_attempt_at__lte=now)
    return list(due.order_by("created_at").values_list("pk", flat=True)[:limit])


# --- the managers' template page ---------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    kind: str
    label: str
    language: str
    subject: str
    text: str
    html: str
    error: str = ""


def notification_previews(*, languages: Iterable[str]) -> list[Preview]:
    """Every kind rendered with sample data in each language (nothing is saved or sent)."""
    ticket = Ticket(
        pk=123,
        title=str(_("The VPN does not connect")),
        description="…",
        status=Status.RESOLVED,
        resolution_summary=str(_("We restarted the VPN gateway.")),
        tracking_token="sample-tracking-token",  # noqa: S106 - a placeholder, not a secret
    )
    previews = []
    for language in languages:
        recipient = User(username="sample", display_name="Ana García", language=language)
        recipient.email = "ana@example.com"
        for kind, label in NotificationKind.choices:
            notification = Notification(
                pk=None,
                kind=kind,
                recipient=recipient,
                ticket=ticket,
                context={"summary": ticket.resolution_summary, "reason": "…"},
            )
            builder = _CONTEXT_BUILDERS.get(kind)
            try:
                message = render_notification(
                    notification=notification,
                    extra_context=builder.sample() if builder is not None else {},
                )
            except Exception as exc:  # a missing template shows on the page, not as a 500
                previews.append(
                    Preview(
                        kind, str(label), language, "", "", "", error=f"{type(exc).__name__}: {exc}"
                    )
                )
                continue
            html = str(message.alternatives[0][0]) if message.alternatives else ""
            previews.append(
                Preview(kind, str(label), language, str(message.subject), str(message.body), html)
            )
    return previews
