"""The transition table is the one description of every transition: the docs' diagram, the
API's endpoints and the ticket page's forms come from it."""

from django.urls import reverse

from tickets.management.commands.state_diagram import DOC, with_diagram
from tickets.transition_table import BY_NAME, TABLE
from tickets.transitions import REQUESTER_TRANSITIONS, TRANSITIONS


def test_the_committed_state_diagram_is_the_generated_one() -> None:
    text = DOC.read_text()
    assert with_diagram(text) == text, "docs/architecture.md: run `manage.py state_diagram`"


def test_the_table_lists_the_transitions_in_the_order_the_page_offers_them() -> None:
    assert [row.name for row in TABLE if row.name in TRANSITIONS] == TRANSITIONS
    assert len(BY_NAME) == len(TABLE)


def test_the_requester_may_ask_for_the_transitions_the_rules_give_them() -> None:
    assert {row.name for row in TABLE if "requester" in row.roles} == REQUESTER_TRANSITIONS
    assert {row.name for row in TABLE if row.requester_ui} == REQUESTER_TRANSITIONS


def test_every_row_is_an_api_endpoint() -> None:
    for row in TABLE:
        url = reverse(f"ticket-{row.method.replace('_', '-')}", args=[1])
        assert url == f"/api/tickets/1/{row.path}/"
