"""Routing as a pure function: a table of tickets and rules → the queue."""

import pytest

from escalation.rules import Route, Rule, TicketAttributes, route

NETWORK, VPN, EMAIL = 10, 11, 20  # VPN is a subcategory of NETWORK

RULES = [
    Rule(id=1, target_tier=2, target_group_id=100, target_group_tier=2, category_id=VPN),
    Rule(id=2, target_tier=2, category_id=NETWORK, kind="incident"),
    Rule(id=3, target_tier=3, target_group_id=300, target_group_tier=3, priority=2),
    Rule(id=4, target_tier=2, kind="service_request", is_active=False),
]


def ticket(
    *, kind: str = "incident", priority: int = 3, category: int | None = None, parent=None
) -> TicketAttributes:
    return TicketAttributes(
        kind=kind, priority=priority, category_id=category, category_parent_id=parent
    )


@pytest.mark.parametrize(
    ("attributes", "rules", "expected"),
    [
        pytest.param(ticket(), [], Route(tier=1), id="no rules: L1 queue"),
        pytest.param(ticket(), RULES, Route(tier=1), id="nothing matches: L1 queue"),
        pytest.param(
            ticket(category=VPN, parent=NETWORK),
            RULES,
            Route(tier=2, group_id=100, rule_id=1),
            id="first match wins (subcategory rule before its parent's)",
        ),
        pytest.param(
            ticket(category=NETWORK),
            RULES,
            Route(tier=2, rule_id=2),
            id="category and kind both match: tier without group",
        ),
        pytest.param(
            ticket(kind="service_request", category=NETWORK),
            RULES,
            Route(tier=1),
            id="kind does not match; the inactive rule is skipped",
        ),
        pytest.param(
            ticket(category=EMAIL, parent=NETWORK),
            RULES,
            Route(tier=2, rule_id=2),
            id="a top-category rule matches its subcategories",
        ),
        pytest.param(
            ticket(priority=2, category=EMAIL),
            RULES,
            Route(tier=3, group_id=300, rule_id=3),
            id="priority rule",
        ),
        pytest.param(
            ticket(priority=1),
            RULES,
            Route(tier=3, page_oncall=True),
            id="P1 goes to L3 and pages, even without a rule",
        ),
        pytest.param(
            ticket(priority=1, category=VPN, parent=NETWORK),
            RULES,
            Route(tier=3, page_oncall=True),
            id="P1 overrides a rule that targets a lower tier",
        ),
        pytest.param(
            ticket(priority=1),
            [Rule(id=9, target_tier=3, target_group_id=301, target_group_tier=3)],
            Route(tier=3, group_id=301, rule_id=9, page_oncall=True),
            id="P1 keeps a matching rule's L3 group",
        ),
        pytest.param(
            ticket(),
            [Rule(id=5, target_tier=1, target_group_id=7, target_group_tier=2)],
            Route(tier=2, group_id=7, rule_id=5),
            id="the group's tier wins over a mismatching target tier",
        ),
    ],
)
def test_route(attributes, rules, expected):
    assert route(ticket=attributes, rules=rules) == expected
