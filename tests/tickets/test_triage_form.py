"""Issue 16, item 1: the triage form starts from the ticket (the requester's urgency, the
provisional impact, the category), shows what the requester chose, previews the priority the
form gives, and asks for an explicit confirmation before anything becomes P1 or P2."""

import re

import pytest
from django.test import Client

from escalation.models import Tier
from tickets import services
from tickets.models import Level, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(agent_l1):
    client = Client()
    client.force_login(agent_l1)
    return client


@pytest.fixture
def new_ticket(requester, category):
    """What the requester chose: urgency medium, a category. Provisional P4 (low × medium)."""
    return services.ticket_create(
        requester=requester,
        title="Mail is slow",
        description="Since this morning.",
        urgency=Level.MEDIUM,
        category=category,
    )


def _triage(client, ticket, **fields):
    data = {
        "triage-kind": "incident",
        "triage-category": ticket.category_id or "",
        "triage-impact": ticket.impact,
        "triage-urgency": ticket.urgency,
    }
    data.update({f"triage-{k}": v for k, v in fields.items()})
    return client.post(f"/tickets/{ticket.pk}/do/triage/", data)


def test_the_form_opens_with_the_tickets_values_and_a_matching_preview(agent_client, new_ticket):
    response = agent_client.get(f"/tickets/{new_ticket.pk}/")

    form = next(a["form"] for a in response.context["actions"] if a["name"] == "triage")
    assert form["impact"].value() == Level.LOW  # provisional
    assert form["urgency"].value() == Level.MEDIUM  # the requester's
    assert form["category"].value() == new_ticket.category_id
    assert form["kind"].value() == new_ticket.kind
    html = response.content.decode()
    assert "<strong>P4 low</strong>" in html  # the preview says what the form gives
    assert 'data-testid="requester-chose"' in html
    assert "Medium: it gets in the way, but I can work" in html
    assert 'name="triage-confirm"' not in html  # nothing to confirm for a P4


def _rendered_triage_values(html: str) -> dict[str, str]:
    """What the browser sends for the triage form as rendered: each select's chosen option
    (the first one when none is marked), as a browser does."""
    values = {}
    for name, options in re.findall(
        r'<select name="(triage-[a-z]+)"[^>]*>(.*?)</select>', html, re.S
    ):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        first = re.search(r'<option value="([^"]*)"', options)
        values[name] = (chosen or first).group(1) if (chosen or first) else ""
    return values


def test_submitting_with_only_a_category_never_raises_the_priority(
    agent_client, requester, category
):
    ticket = services.ticket_create(
        requester=requester, title="Printer", description="Jams.", urgency=Level.MEDIUM
    )
    assert (ticket.priority, ticket.category_id) == (4, None)
    form = _rendered_triage_values(agent_client.get(f"/tickets/{ticket.pk}/").content.decode())

    # The agent only picks a category and submits the form as it was rendered.
    response = agent_client.post(
        f"/tickets/{ticket.pk}/do/triage/", {**form, "triage-category": category.pk}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.tier) == (Status.PRIORITIZED, 4, Tier.L1)
    assert ticket.category == category


def test_p1_needs_an_explicit_confirmation(agent_client, new_ticket):
    response = _triage(agent_client, new_ticket, impact="high", urgency="high")

    assert response.status_code == 400
    new_ticket.refresh_from_db()
    assert (new_ticket.status, new_ticket.priority) == (Status.NEW, 4)
    html = response.content.decode()
    assert "tick the box to confirm it" in html
    assert 'name="triage-confirm"' in html  # the box, beside the P1 preview
    assert "<strong>P1 critical</strong>" in html

    response = _triage(agent_client, new_ticket, impact="high", urgency="high", confirm="on")

    assert response.status_code == 302
    new_ticket.refresh_from_db()
    assert (new_ticket.priority, new_ticket.tier) == (1, Tier.L3)


def test_an_override_to_p2_needs_the_confirmation_too(agent_client, new_ticket):
    response = _triage(agent_client, new_ticket, override="2", reason="VIP customer")
    assert response.status_code == 400
    new_ticket.refresh_from_db()
    assert new_ticket.status == Status.NEW
    response = _triage(agent_client, new_ticket, override="2", reason="VIP customer", confirm="on")
    assert response.status_code == 302
    new_ticket.refresh_from_db()
    assert new_ticket.priority == 2


def test_p3_and_below_need_no_confirmation(agent_client, new_ticket):
    response = _triage(agent_client, new_ticket, impact="medium", urgency="medium")
    assert response.status_code == 302
    new_ticket.refresh_from_db()
    assert new_ticket.priority == 3


def test_the_live_preview_offers_the_box_for_p1_and_p2_and_keeps_its_state(agent_client):
    p1 = agent_client.get(
        "/console/priority/", {"triage-impact": "high", "triage-urgency": "high"}
    ).content.decode()
    assert "P1 critical" in p1 and 'name="triage-confirm"' in p1 and "checked" not in p1
    kept = agent_client.get(
        "/console/priority/",
        {"triage-impact": "high", "triage-urgency": "medium", "triage-confirm": "on"},
    ).content.decode()
    assert "P2 high" in kept and "checked" in kept
    p4 = agent_client.get(
        "/console/priority/", {"triage-impact": "low", "triage-urgency": "medium"}
    ).content.decode()
    assert "P4 low" in p4 and "triage-confirm" not in p4


def test_the_api_keeps_its_contract(api, agent_l1, new_ticket, category):
    """The API's clients set the priority on purpose: no confirmation field there."""
    response = api(agent_l1).post(
        f"/api/tickets/{new_ticket.pk}/triage/",
        {"kind": "incident", "category": category.pk, "impact": "high", "urgency": "high"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["priority"] == 1
