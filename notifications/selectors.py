"""Reads of the notifications app."""

from django.db.models import QuerySet
from django.urls import reverse

from accounts.models import Role, User
from notifications.models import (
    IN_APP_KINDS,
    KINDS_BY_ROLE,
    UNMUTABLE_KINDS,
    InAppNotification,
    Notification,
    NotificationKind,
    NotificationPreference,
)


def muted_kinds(*, user: User) -> frozenset[str]:
    """The kinds the user muted (one query; none when they never chose)."""
    row = NotificationPreference.objects.filter(user=user).values_list("muted_kinds", flat=True)
    found = list(row[:1])
    return frozenset(found[0]) if found else frozenset()


def muted_by_channel(*, user: User) -> tuple[frozenset[str], frozenset[str]]:
    """(muted by email, muted in the bell) in one query; nothing muted when they never chose."""
    row = NotificationPreference.objects.filter(user=user).values_list(
        "muted_kinds", "muted_in_app_kinds"
    )
    found = list(row[:1])
    if not found:
        return frozenset(), frozenset()
    return frozenset(found[0][0]), frozenset(found[0][1])


def kinds_for_user(*, user: User) -> list[tuple[str, str, bool]]:
    """(kind, label, mutable) for the kinds this user can receive (by role: KINDS_BY_ROLE), in
    declaration order. An agent's page had the security officers' breach emails and the
    requesters' guest-claim link; a security officer's lacked the breach emails."""
    receivable = KINDS_BY_ROLE.get(user.role, KINDS_BY_ROLE[Role.REQUESTER])
    return [
        (str(value), str(label), value not in UNMUTABLE_KINDS)
        for value, label in NotificationKind.choices
        if value in receivable
    ]


def notifications_failed() -> QuerySet[Notification]:
    return Notification.objects.filter(status="failed").select_related("recipient", "ticket")


# --- the bell ----------------------------------------------------------------------------------

# Where a notification without a ticket leads (the breach emails name no ticket either).
_TICKETLESS_LINKS = {
    NotificationKind.BREACH_FLAGGED.value: "breach-list",
    NotificationKind.BREACH_CLOCK_WARNING.value: "breach-list",
    NotificationKind.BREACH_CLOCK_OVERDUE.value: "breach-list",
}


def in_app_unread_count(*, user: User) -> int:
    """The bell's number: one COUNT on the partial index of unread rows."""
    return InAppNotification.objects.filter(recipient=user, read_at__isnull=True).count()


def in_app_for_user(*, user: User, unread_only: bool = False) -> QuerySet[InAppNotification]:
    """The user's own bell notifications, newest first, with their ticket (one query)."""
    rows = InAppNotification.objects.filter(recipient=user).select_related("ticket")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-id")


def in_app_link(notification: InAppNotification) -> str:
    """The page a notification leads to (its ticket), or "" when there is none."""
    if notification.ticket_id:
        return reverse("ticket_detail", args=[notification.ticket_id])
    name = _TICKETLESS_LINKS.get(notification.kind)
    return reverse(name) if name else ""


def in_app_kinds_for_user(*, user: User) -> frozenset[str]:
    """The kinds of this user's preferences page that have a bell column."""
    return frozenset(kind for kind, _label, _mutable in kinds_for_user(user=user)) & IN_APP_KINDS
