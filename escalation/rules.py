"""Routing, as a pure function: a ticket's attributes and the ordered rules → its queue.

No database, no clock: `escalation.services.ticket_route` loads the rules, calls `route` and
applies the answer. The contract (DESIGN.md, "Tiers and escalation"):

* everything starts in the L1 queue unless a rule says otherwise;
* rules are tried in order (position, then id); the first whose every set condition matches wins;
  an empty condition matches anything; a top category also matches its subcategories;
* P1 always goes to L3 and pages the L3 on-call agents: a matching rule may choose the L3 group,
  but a rule that targets a lower tier is overridden.
"""

from collections.abc import Iterable
from dataclasses import dataclass

P1 = 1
L1, L3 = 1, 3


@dataclass(frozen=True)
class TicketAttributes:
    kind: str
    priority: int
    category_id: int | None = None
    category_parent_id: int | None = None


@dataclass(frozen=True)
class Rule:
    id: int
    target_tier: int
    target_group_id: int | None = None
    # The group's own tier: a group always wins over a mismatching target_tier.
    target_group_tier: int | None = None
    category_id: int | None = None
    kind: str = ""
    priority: int | None = None
    is_active: bool = True

    def matches(self, ticket: TicketAttributes) -> bool:
        if not self.is_active:
            return False
        if self.kind and self.kind != ticket.kind:
            return False
        if self.priority is not None and self.priority != ticket.priority:
            return False
        return self.category_id is None or self.category_id in (
            ticket.category_id,
            ticket.category_parent_id,
        )


@dataclass(frozen=True)
class Route:
    tier: int
    group_id: int | None = None
    rule_id: int | None = None
    page_oncall: bool = False


def route(*, ticket: TicketAttributes, rules: Iterable[Rule]) -> Route:
    """The queue a ticket belongs in. `rules` must already be in evaluation order."""
    chosen = Route(tier=L1)
    for rule in rules:
        if rule.matches(ticket):
            tier = rule.target_group_tier or rule.target_tier
            chosen = Route(tier=tier, group_id=rule.target_group_id, rule_id=rule.id)
            break
    if ticket.priority == P1:
        if chosen.tier != L3:
            chosen = Route(tier=L3)
        chosen = Route(tier=L3, group_id=chosen.group_id, rule_id=chosen.rule_id, page_oncall=True)
    return chosen
