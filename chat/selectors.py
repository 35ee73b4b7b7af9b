"""Reads: which channels listen to what (kept per process), the managers' lists."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from chat.models import ChatChannel, ChatDelivery, ChatDeliveryStatus
from escalation.models import SupportGroup
from helpdesk.config_cache import ConfigValue


@dataclass(frozen=True)
class ChatRoutes:
    """Enabled channels' subscriptions: (group id, event) → channel ids; tier → group ids."""

    channels: dict[tuple[int, str], list[int]]
    groups_by_tier: dict[int, list[int]]

    def channel_ids(self, *, group_ids: list[int], event: str) -> list[int]:
        found: list[int] = []
        for group_id in group_ids:
            found += self.channels.get((group_id, event), [])
        return sorted(set(found))


def _load_routes() -> ChatRoutes:
    channels: dict[tuple[int, str], list[int]] = {}
    for pk, group_id, events in ChatChannel.objects.filter(is_enabled=True).values_list(
        "pk", "support_group_id", "events"
    ):
        # A list of event names (the services and forms write nothing else; a value saved by
        # an older admin's JSON box, a number say, must not fail every ticket write).
        for event in events if isinstance(events, list) else []:
            if isinstance(event, str):
                channels.setdefault((group_id, event), []).append(pk)
    groups_by_tier: dict[int, list[int]] = {}
    if channels:  # nothing subscribed: no need to know the groups
        for pk, tier in SupportGroup.objects.values_list("pk", "tier"):
            groups_by_tier.setdefault(tier, []).append(pk)
    return ChatRoutes(channels=channels, groups_by_tier=groups_by_tier)


# SupportGroup is watched by the escalation app: a group's tier change reloads this too.
_routes = ConfigValue(_load_routes)


def chat_routes() -> ChatRoutes:
    """No query between configuration changes (helpdesk.config_cache)."""
    return _routes.get()


def chat_channel_list() -> QuerySet[ChatChannel]:
    """Every channel with its group and how many deliveries are waiting or failed."""
    return ChatChannel.objects.select_related("support_group").annotate(
        pending_count=Count(
            "deliveries",
            filter=Q(
                deliveries__status__in=[ChatDeliveryStatus.PENDING, ChatDeliveryStatus.SENDING]
            ),
        ),
        failed_count=Count("deliveries", filter=Q(deliveries__status=ChatDeliveryStatus.FAILED)),
    )


def chat_recent_deliveries(*, channel: ChatChannel, limit: int = 20) -> QuerySet[ChatDelivery]:
    return ChatDelivery.objects.filter(channel=channel).select_related("ticket")[:limit]
