"""Related links between tickets and the ticket page's similar-incidents partial."""

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string

from helpdesk.errors import DomainError
from kb import services
from kb.models import TicketLink
from tickets.models import EventKind, Status
from tickets.selectors import event_reason_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(make_ticket, resolve_ticket, category):
    past = resolve_ticket(
        title="VPN tunnel drops",
        description="VPN disconnects.",
        summary="Reinstalled the VPN client.",
        category=category,
    )
    new = make_ticket(Status.IN_DIAGNOSIS, title="VPN drops again")
    return new, past


def test_linking_records_an_internal_change_on_both_tickets(pair, agent_l1, requester):
    new, past = pair
    link = services.ticket_link_create(ticket=new, related=past, actor=agent_l1)
    assert (link.from_ticket_id, link.to_ticket_id) == (new.pk, past.pk)
    event = new.events.get(kind=EventKind.CHANGE, changes__has_key="related_ticket")
    assert event.changes == {"related_ticket": [None, past.reference]}
    assert event.reason_is_internal
    assert event_reason_for_user(user=requester, event=event) == ""
    assert past.events.filter(changes__has_key="related_ticket").count() == 1


def test_linking_twice_either_way_is_one_link(pair, agent_l1):
    new, past = pair
    first = services.ticket_link_create(ticket=new, related=past, actor=agent_l1)
    again = services.ticket_link_create(ticket=past, related=new, actor=agent_l1)
    assert again.pk == first.pk
    assert TicketLink.objects.count() == 1
    assert new.events.filter(changes__has_key="related_ticket").count() == 1


def test_a_ticket_cannot_be_linked_to_itself_nor_by_a_requester(pair, agent_l1, requester):
    new, past = pair
    with pytest.raises(DomainError):
        services.ticket_link_create(ticket=new, related=new, actor=agent_l1)
    with pytest.raises(PermissionDenied):
        services.ticket_link_create(ticket=new, related=past, actor=requester)
    assert not TicketLink.objects.exists()


def test_link_view_and_api(pair, client, api, agent_l1, requester):
    new, past = pair
    client.force_login(agent_l1)
    response = client.post(f"/kb/tickets/{new.pk}/link/", {"related": past.reference})
    assert response.status_code == 302
    assert TicketLink.objects.filter(from_ticket=new, to_ticket=past).exists()
    bad = client.post(f"/kb/tickets/{new.pk}/link/", {"related": "INC-999999"})
    assert bad.status_code == 400  # the ticket page, the error on the field
    assert TicketLink.objects.count() == 1
    # The API: a requester cannot read the past ticket → 404, nothing linked.
    response = api(requester).post(
        "/api/kb/links/", {"ticket": new.pk, "related": past.pk + 1000}, format="json"
    )
    assert response.status_code == 404
    response = api(agent_l1).post(
        "/api/kb/links/", {"ticket": past.pk, "related": new.pk}, format="json"
    )
    assert response.status_code == 201


def test_similar_partial_for_agents_offers_copy_link_and_promote(pair, rf, agent_l1, requester):
    new, past = pair
    request = rf.get(f"/tickets/{new.pk}/")
    html = render_to_string("kb/_similar.html", {"ticket": new, "user": agent_l1}, request)
    assert past.reference in html
    assert 'data-kb-insert="Reinstalled the VPN client."' in html
    assert "kb/similar.js" in html
    assert f"/kb/tickets/{new.pk}/link/" in html
    assert "from_ticket" not in html  # the new ticket is not resolved: nothing to promote
    html = render_to_string("kb/_similar.html", {"ticket": past, "user": agent_l1}, request)
    assert f"?from_ticket={past.pk}" in html
    # A requester sees nothing of other tickets.
    assert render_to_string("kb/_similar.html", {"ticket": new, "user": requester}).strip() == ""


def test_similar_api_is_for_staff_and_lists_resolutions(pair, api, agent_l1, requester):
    new, past = pair
    response = api(agent_l1).get(f"/api/kb/similar/{new.pk}/")
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()] == [past.reference]
    assert response.json()[0]["resolution_summary"] == "Reinstalled the VPN client."
    assert api(requester).get(f"/api/kb/similar/{new.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("INC-999999", "No such ticket."),
        ("the VPN one", "Give the related ticket&#x27;s reference, e.g. INC-000123."),
        ("self", "A ticket cannot be related to itself."),
    ],
)
def test_a_refused_link_keeps_the_typed_reference_and_says_why_on_the_field(
    pair, client, agent_l1, typed, error
):
    """A refused link redirected to the ticket page with a message at the top: the reference
    typed was gone from the field, to be typed again from memory."""
    new, _past = pair
    if typed == "self":
        typed = new.reference
    client.force_login(agent_l1)

    response = client.post(
        f"/kb/tickets/{new.pk}/link/", {"related": typed, "next": f"/tickets/{new.pk}/"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    form = html[html.index(f'id="kb-link-{new.pk}"') :]
    form = form[: form.index("</form>")]
    assert f'value="{typed}"' in form
    assert 'aria-invalid="true"' in form
    assert error in form
    # Where the form goes back to is still the ticket page (not this POST-only address).
    assert f'name="next" value="/tickets/{new.pk}/"' in form
    assert not TicketLink.objects.exists()


def test_a_get_of_the_link_address_goes_to_the_ticket_page(pair, client, agent_l1):
    # A reload or a language switch on the refused form's page: it answered 405.
    new, _past = pair
    client.force_login(agent_l1)

    response = client.get(f"/kb/tickets/{new.pk}/link/")

    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{new.pk}/"
