"""The public status page and feeds, the agent pages, the API and the ticket partial."""

from datetime import timedelta

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import IncidentStatus, MajorIncident, MajorIncidentLink
from tickets.models import Status

pytestmark = pytest.mark.django_db


def test_the_status_page_is_public_and_shows_only_public_data(client, incident, requester):
    response = client.get(reverse("status_page"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Email delivery is delayed" in body
    assert "We are investigating delays." in body
    assert "Email, Calendar" in body
    for private in ("db-7", incident.ticket.reference, requester.email, requester.name, "agent_l1"):
        assert private not in body


def test_the_status_page_in_spanish_uses_the_spanish_texts(client, incident):
    response = client.get(reverse("status_page"), HTTP_ACCEPT_LANGUAGE="es")

    body = response.content.decode()
    assert "El correo llega con retraso" in body
    assert "Estamos investigando los retrasos." in body
    assert response.headers["Content-Language"] == "es"


def test_the_status_page_keeps_90_days_of_history(client, p1_ticket, agent_l1, make_ticket):
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=100)):
        old = services.major_incident_declare(
            ticket=p1_ticket,
            actor=agent_l1,
            public_title="Ancient outage",
            message="x",
            next_update_due_at=timezone.now() + timedelta(hours=1),
        )
        services.status_update_post(
            incident=old, actor=agent_l1, status=IncidentStatus.RESOLVED, message="Fixed"
        )

    body = client.get(reverse("status_page")).content.decode()

    assert "Ancient outage" not in body
    assert "All services are operating normally." in body


def test_the_status_page_cost_does_not_grow_with_incidents(
    client, incident, agent_l1, django_assert_num_queries
):
    services.status_update_post(
        incident=incident,
        actor=agent_l1,
        status=IncidentStatus.MONITORING,
        message="Fix deployed",
        next_update_due_at=timezone.now() + timedelta(hours=1),
    )
    # the incidents (current + last 90 days), their updates (one prefetch)
    with django_assert_num_queries(2):
        assert client.get(reverse("status_page")).status_code == 200


@pytest.mark.parametrize("name", ["status_feed_rss", "status_feed_atom"])
def test_the_feeds_list_updates_in_both_languages(client, incident, name):
    english = client.get(reverse(name)).content.decode()
    spanish = client.get(reverse(name) + "?lang=es").content.decode()

    assert "Email delivery is delayed" in english and "We are investigating" in english
    assert "El correo llega con retraso" in spanish and "Estamos investigando" in spanish
    assert "db-7" not in english


# --- agent pages ---------------------------------------------------------------------------------


def test_an_agent_declares_from_the_form(client, p1_ticket, agent_l1):
    client.force_login(agent_l1)
    due = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        reverse("major_incident_declare", args=[p1_ticket.pk]),
        {"public_title": "VPN outage", "message": "Investigating", "next_update_due_at": due},
    )

    incident = MajorIncident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("major_incident_detail", args=[incident.pk])


def test_a_refused_declaration_answers_400_and_keeps_the_text(client, p1_ticket, agent_l1):
    """A refused form answered 200, which scripts and tests read as success."""
    client.force_login(agent_l1)

    response = client.post(
        reverse("major_incident_declare", args=[p1_ticket.pk]),
        {"public_title": "VPN outage", "message": "Investigating", "next_update_due_at": ""},
    )

    assert response.status_code == 400
    assert "VPN outage" in response.content.decode()
    assert not MajorIncident.objects.exists()


def test_declaring_a_ticket_a_colleague_declared_meanwhile_is_a_409_leading_to_it(
    client, incident, p1_ticket, agent_l1
):
    """The form (opened before the colleague declared, or in another tab) came back as a 200
    with the error and no way to the incident; the typed text stays, to post as an update."""
    client.force_login(agent_l1)
    due = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        reverse("major_incident_declare", args=[p1_ticket.pk]),
        {"public_title": "DB down", "message": "Looking into it", "next_update_due_at": due},
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "This ticket is already a major incident." in page
    assert "Looking into it" in page
    assert reverse("major_incident_detail", args=[incident.pk]) in page


@pytest.mark.parametrize("linked", [False, True])
def test_a_stale_declare_link_opens_the_incident_instead_of_an_empty_form(
    client, incident, p1_ticket, agent_l1, make_ticket, linked
):
    """The declare page of a ticket already declared (or linked) showed the empty form; the
    agent typed a public title and a first update to be told so only on sending."""
    ticket = p1_ticket
    if linked:
        ticket = make_ticket(Status.IN_DIAGNOSIS)
        services.major_incident_link(incident=incident, ticket=ticket, actor=agent_l1)
    client.force_login(agent_l1)

    response = client.get(reverse("major_incident_declare", args=[ticket.pk]), follow=True)

    assert response.redirect_chain == [(reverse("major_incident_detail", args=[incident.pk]), 302)]
    assert "This ticket is already part of a major incident." in response.content.decode()


def test_a_bad_update_shows_a_form_error_not_an_error_page(client, incident, agent_l1):
    client.force_login(agent_l1)

    response = client.post(
        reverse("major_incident_update", args=[incident.pk]),
        {"status": "identified", "message": "x"},  # no next update time
    )

    assert response.status_code == 400
    assert "Say when the next update is due." in response.content.decode()


@pytest.mark.parametrize("time_zone", ["UTC", "America/New_York"])
def test_a_next_update_past_2099_is_a_form_error(client, incident, agent_l1, time_zone):
    """9999-12-31 23:59 was saved. Typed west of UTC (past year 9999 in UTC), every page
    reading it failed from then on, the public status page too; typed in UTC, every page
    showing it to a reader east of UTC was a 500."""
    agent_l1.time_zone = time_zone
    agent_l1.save(update_fields=["time_zone"])
    client.force_login(agent_l1)

    response = client.post(
        reverse("major_incident_update", args=[incident.pk]),
        {"status": "identified", "message": "Found it.", "next_update_due_at": "9999-12-31T23:59"},
    )

    assert response.status_code == 400
    assert "Enter a date between 2000-01-01 and 2099-12-31." in response.content.decode()
    assert incident.updates.count() == 1


def test_an_update_after_a_colleague_resolved_it_shows_why_and_keeps_the_text(
    client, incident, agent_l1, agent_l2
):
    """The page hid its forms once the incident was resolved, so the refused update came back
    as a 400 with no error and no text: the agent's update vanished without a word."""
    client.force_login(agent_l2)
    page_opened = client.get(reverse("major_incident_detail", args=[incident.pk]))
    assert "Post an update" in page_opened.content.decode()
    services.status_update_post(
        incident=incident, actor=agent_l1, status=IncidentStatus.RESOLVED, message="Fixed."
    )

    response = client.post(
        reverse("major_incident_update", args=[incident.pk]),
        {
            "status": "monitoring",
            "message": "Mail queues are draining.",
            "next_update_due_at": f"{timezone.localtime() + timedelta(hours=1):%Y-%m-%dT%H:%M}",
        },
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "This major incident is already resolved." in page
    assert "Mail queues are draining." in page
    # Opened afresh, a resolved incident still has no forms.
    fresh = client.get(reverse("major_incident_detail", args=[incident.pk])).content.decode()
    assert "Post an update" not in fresh


def test_linking_by_reference_from_the_page(client, incident, agent_l1, make_ticket):
    child = make_ticket(Status.NEW)
    client.force_login(agent_l1)

    response = client.post(
        reverse("major_incident_link", args=[incident.pk]), {"ticket": child.reference}
    )

    assert response.status_code == 302
    assert MajorIncidentLink.objects.filter(ticket=child).exists()
    page = client.get(reverse("major_incident_detail", args=[incident.pk])).content.decode()
    assert child.reference in page


def test_requesters_cannot_reach_the_agent_pages(client, incident, requester):
    client.force_login(requester)

    assert client.get(reverse("major_incident_detail", args=[incident.pk])).status_code == 404
    assert client.get(reverse("major_incident_list")).status_code == 404


def test_the_incident_list_query_count(client, incident, manager, django_assert_num_queries):
    client.force_login(manager)
    # session, user, the incidents with their tickets and owners
    with django_assert_num_queries(3):
        assert client.get(reverse("major_incident_list")).status_code == 200


# --- API ---------------------------------------------------------------------------------------


def test_the_api_declares_links_and_posts_updates(api, p1_ticket, agent_l1, make_ticket):
    client = api(agent_l1)
    child = make_ticket(Status.NEW)
    due = (timezone.now() + timedelta(hours=1)).isoformat()

    created = client.post(
        "/api/major-incidents/",
        {
            "ticket": p1_ticket.pk,
            "public_title": "VPN",
            "message": "Looking",
            "next_update_due_at": due,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    linked = client.post(f"/api/major-incidents/{pk}/links/", {"ticket": child.pk}, format="json")
    assert linked.status_code == 201
    bad = client.post(
        f"/api/major-incidents/{pk}/updates/", {"status": "nope", "message": "x"}, format="json"
    )
    assert bad.status_code == 400
    resolved = client.post(
        f"/api/major-incidents/{pk}/updates/",
        {"status": "resolved", "message": "Fixed"},
        format="json",
    )
    assert resolved.status_code == 201
    again = client.post(
        f"/api/major-incidents/{pk}/updates/", {"status": "resolved", "message": "x"}, format="json"
    )
    assert again.status_code == 409
    # Resolved, the state answers before the input: a 409, not the unknown status's 400.
    bad_after = client.post(
        f"/api/major-incidents/{pk}/updates/", {"status": "nope", "message": "x"}, format="json"
    )
    assert bad_after.status_code == 409


def test_the_api_hides_major_incidents_from_requesters(api, incident, requester):
    assert api(requester).get(f"/api/major-incidents/{incident.pk}/").status_code == 404
    assert api(requester).get("/api/major-incidents/").status_code == 404
    assert api(None).get("/api/major-incidents/").status_code in (401, 403)


# --- the ticket page partial ---------------------------------------------------------------


def _partial(ticket, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string(
        "incidents/_ticket_major.html", {"ticket": ticket, "user": user}, request=request
    )


def test_the_ticket_partial(incident, agent_l1, make_ticket, requester, p1_ticket):
    child = make_ticket(Status.NEW)
    services.major_incident_link(incident=incident, ticket=child, actor=agent_l1)
    plain = make_ticket(Status.NEW)

    assert reverse("major_incident_detail", args=[incident.pk]) in _partial(p1_ticket, agent_l1)
    assert "Part of major incident" in _partial(child, agent_l1)
    assert "Declare" not in _partial(plain, agent_l1)  # not a P1
    assert _partial(p1_ticket, requester).strip() == ""


@pytest.mark.parametrize("due", ["9999-12-31T23:59", "not a date", "2001-01-01T00:00", ""], ids=str)
def test_a_resolved_incident_refuses_first_whatever_the_date(client, incident, agent_l1, due):
    """A resolved incident and a bad date: the date's error came back (400), the agent fixed
    it, and only then heard that the incident was resolved. The state comes first: a 409 with
    its message alone, the typed text kept."""
    services.status_update_post(
        incident=incident, actor=agent_l1, status=IncidentStatus.RESOLVED, message="Fixed."
    )
    client.force_login(agent_l1)

    response = client.post(
        reverse("major_incident_update", args=[incident.pk]),
        {"status": "monitoring", "message": "Queues draining.", "next_update_due_at": due},
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "This major incident is already resolved." in page
    assert "Enter a date" not in page and "Enter a valid date" not in page
    assert "Say when the next update is due." not in page
    assert "Queues draining." in page


def test_a_resolved_incident_refuses_a_link_before_reading_the_reference(
    client, api, incident, agent_l1
):
    services.status_update_post(
        incident=incident, actor=agent_l1, status=IncidentStatus.RESOLVED, message="Fixed."
    )
    client.force_login(agent_l1)

    page = client.post(reverse("major_incident_link", args=[incident.pk]), {"ticket": "nope"})
    linked = api(agent_l1).post(
        f"/api/major-incidents/{incident.pk}/links/", {"ticket": "x"}, format="json"
    )

    assert page.status_code == 409
    assert "This major incident is already resolved." in page.content.decode()
    assert "Enter a ticket reference" not in page.content.decode()
    assert linked.status_code == 409, linked.content


def test_the_api_refuses_an_update_of_a_resolved_incident_before_its_date(api, incident, agent_l1):
    services.status_update_post(
        incident=incident, actor=agent_l1, status=IncidentStatus.RESOLVED, message="Fixed."
    )

    response = api(agent_l1).post(
        f"/api/major-incidents/{incident.pk}/updates/",
        {"status": "monitoring", "message": "x", "next_update_due_at": "9999-12-31T23:59:00Z"},
        format="json",
    )

    assert response.status_code == 409, response.content
    assert "already resolved" in response.content.decode()


def test_an_update_longer_than_a_tickets_text_is_refused_on_the_page_and_in_the_api(
    client, api, incident, agent_l1
):
    """A 200 000-character update was posted, shown on the public status page and emailed to
    every requester: the texts have a ticket's limit (20 000 characters)."""
    client.force_login(agent_l1)
    due = f"{timezone.localtime() + timedelta(hours=1):%Y-%m-%dT%H:%M}"
    long = "x" * 20001

    page = client.post(
        reverse("major_incident_update", args=[incident.pk]),
        {"status": "monitoring", "message": "Fine.", "message_es": long, "next_update_due_at": due},
    )
    answer = api(agent_l1).post(
        f"/api/major-incidents/{incident.pk}/updates/",
        {"status": "monitoring", "message": long, "next_update_due_at": due + ":00Z"},
        format="json",
    )

    assert page.status_code == 400
    assert "At most 20000 characters (it has 20001)." in page.content.decode()
    assert answer.status_code == 400 and "message" in answer.json()["errors"]
    assert incident.updates.count() == 1


def test_the_admin_corrects_public_texts_but_never_the_state(admin_client, incident, agent_l1):
    """The admin added incidents without a first update, set "resolved" without resolving a
    ticket, and saved a next update due in 9999, which failed every page showing it."""
    from tests.admin_forms import admin_form_data

    url = reverse("admin:incidents_majorincident_change", args=[incident.pk])
    data = admin_form_data(admin_client, url)
    data.update(
        {
            "public_title": "Email delivery is slow",
            "status": "resolved",
            "next_update_due_at_0": "9999-12-31",
            "next_update_due_at_1": "23:59:00",
            "links-TOTAL_FORMS": "0",
            "links-INITIAL_FORMS": "0",
        }
    )
    for prefix in ("updates",):
        data.setdefault(f"{prefix}-TOTAL_FORMS", "0")
        data.setdefault(f"{prefix}-INITIAL_FORMS", "0")

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[-2000:]
    incident.refresh_from_db()
    assert incident.public_title == "Email delivery is slow"
    assert incident.status != IncidentStatus.RESOLVED and incident.resolved_at is None
    assert incident.next_update_due_at.year < 2100
    assert admin_client.get(reverse("admin:incidents_majorincident_add")).status_code == 403
