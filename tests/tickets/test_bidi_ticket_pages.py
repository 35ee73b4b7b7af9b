"""The ticket pages and lists keep a bidi override typed in a name or a title inside its own
value (see tests/reports/test_bidi.py): on the ticket page an agent's name in the timeline or
the details reversed the text after it ("Ana ‮ took the ticket · 2 h ago" read backwards)."""

import pytest

from tests.reports.test_bidi import OVERRIDE, leaks
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def hostile_ticket(make_ticket, agent_l1, requester):
    agent_l1.display_name = f"Ana {OVERRIDE}Gómez"
    agent_l1.save(update_fields=["display_name"])
    requester.display_name = f"Rita {OVERRIDE}Ruiz"
    requester.save(update_fields=["display_name"])
    ticket = make_ticket(Status.IN_DIAGNOSIS, title=f"VPN {OVERRIDE}down since 9")
    services.comment_create(ticket=ticket, actor=agent_l1, body=f"On it {OVERRIDE}now.")
    services.comment_create(ticket=ticket, actor=agent_l1, body="Checked.", is_internal=True)
    return ticket


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("agent_l1", "/tickets/{ticket}/"),
        ("agent_l1", "/console/"),
        ("manager", "/tickets/{ticket}/"),
        ("requester", "/tickets/{ticket}/"),
        ("requester", "/my/"),
    ],
)
def test_a_bidi_override_on_the_ticket_pages_stays_inside_its_own_value(
    client, request, hostile_ticket, persona, path
):
    client.force_login(request.getfixturevalue(persona))
    url = path.format(ticket=hostile_ticket.pk)

    response = client.get(url)

    assert response.status_code == 200, url
    html = response.content.decode()
    assert OVERRIDE in html, url
    assert not leaks(html), "\n".join([url, *leaks(html)])
