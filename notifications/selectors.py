"""Reads of the notifications app."""

from django.db.models import QuerySet

from accounts.models import User
from notifications.models import (
    REQUESTER_KINDS,
    UNMUTABLE_KINDS,
    Notification,
    NotificationKind,
    NotificationPreference,
)


def muted_kinds(*, user: User) -> frozenset[str]:
    """The kinds the user muted (one query; none when they never chose)."""
    row = NotificationPreference.objects.filter(user=user).values_list("muted_kinds", flat=True)
    found = list(row[:1])
    return frozenset(found[0]) if found else frozenset()


def kinds_for_user(*, user: User) -> list[tuple[str, str, bool]]:
    """(kind, label, mutable) for the kinds this user can receive, in declaration order."""
    kinds = [
        (str(value), str(label), value not in UNMUTABLE_KINDS)
        for value, label in NotificationKind.choices
    ]
    if not user.is_staff_member:
        kinds = [k for k in kinds if k[0] in REQUESTER_KINDS]
    return kinds


def notifications_failed() -> QuerySet[Notification]:
    return Notification.objects.filter(status="failed").select_related("recipient", "ticket")
