"""Secondary pages in the product's look (issue 16 item 12): each message and heading once,
empty states instead of empty tables, and no page left in raw Django markup."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.security.access_table import ROWS
from tests.security.test_access import world  # noqa: F401 (the access test's world, reused)

pytestmark = pytest.mark.django_db

NOT_PAGES = ("/files/", "/evidence/", "/feed/", ".csv", "/counts/", "/priority/", "/suggest/")


def test_declaring_a_major_incident_says_so_once(client, p1_ticket, agent_l1):
    client.force_login(agent_l1)
    due = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        reverse("major_incident_declare", args=[p1_ticket.pk]),
        {"public_title": "VPN outage", "message": "Investigating", "next_update_due_at": due},
        follow=True,
    )

    assert response.content.decode().count("Major incident declared.") == 1


def test_the_status_page_names_the_affected_services_once(client, incident):
    html = client.get(reverse("status_page")).content.decode()

    assert html.count("Affected services") == 1
    assert "Email, Calendar" in html


def test_saved_notification_preferences_are_confirmed_once(client, requester):
    client.force_login(requester)

    response = client.post(reverse("notification_preferences"), {}, follow=True)

    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert response.content.decode().count(messages[0]) == 1


@pytest.mark.parametrize("url", ["/csat/", "/reports/sla/"])
def test_satisfaction_without_answers_shows_an_empty_state_not_empty_tables(client, manager, url):
    client.force_login(manager)

    html = client.get(url).content.decode()

    assert 'data-testid="csat-empty"' in html
    assert "Satisfaction by tier" not in html  # no table headings with nothing under them


def test_every_page_of_every_persona_uses_the_products_components(world):  # noqa: F811
    """No page is left in raw Django markup: tables and buttons carry the product's classes,
    and forms are not dumped with as_p."""
    users, ids = world
    raw: list[str] = []
    checked = 0
    for persona, user in users.items():
        client = Client()
        client.force_login(user)
        for row in ROWS:
            url = row.url.format(**ids)
            if (
                row.method != "get"
                or persona not in row.allowed
                or url.startswith(("/api/", "/admin/"))
                or any(part in url for part in NOT_PAGES)
            ):
                continue
            response = client.get(url)
            if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                continue
            checked += 1
            html = response.content.decode()
            main = html[html.find("<main") : html.find("</main>")]
            for tag in re.findall(r"<(?:table|button)\b[^>]*>", main):
                if "class=" not in tag:
                    raw.append(f"{persona} {url}: {tag}")
            if re.search(r"<form[^>]*>\s*(<input[^>]*>\s*)*<p>\s*<label", main):
                raw.append(f"{persona} {url}: a form rendered with as_p")
    assert checked > 40
    assert not raw, "\n".join(sorted(set(raw)))
