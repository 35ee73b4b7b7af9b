"""Which tiers an agent works at: the organisation below the ticket core (tickets.selectors,
tickets.services and the live queue read it; it reads only accounts and escalation models)."""

from accounts.models import User
from escalation.models import SupportGroup


def agent_tiers(*, user: User) -> frozenset[int]:
    """The tiers an agent works at, through their support groups (memoised on the user)."""
    cached: frozenset[int] | None = getattr(user, "_agent_tiers", None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_agent:
        tiers: frozenset[int] = frozenset()
    else:
        tiers = frozenset(
            SupportGroup.objects.filter(members=user).values_list("tier", flat=True).distinct()
        )
    user._agent_tiers = tiers  # type: ignore[attr-defined]
    return tiers
