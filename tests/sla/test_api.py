"""SLA in the API: clocks on tickets, the at-risk / breached filter, policies for managers."""

from datetime import time

import pytest

from sla.models import Calendar, CalendarHours, SlaPolicy
from tests.sla.conftest import at
from tickets import services
from tickets.api.serializers import SlaClockSerializer
from tickets.models import Status

pytestmark = pytest.mark.django_db


def _sla(body, metric):
    return next(c for c in body["sla"] if c["metric"] == metric)


def test_the_ticket_shows_each_clock_with_its_remaining_time(clock, make_ticket, api, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3 at 09:00
    clock.to(at(10, 40))

    body = api(agent_l1).get(f"/api/tickets/{ticket.pk}/").json()

    first = _sla(body, "first_response")
    assert first["state"] == "running"
    assert first["remaining_seconds"] == 20 * 60
    assert (first["at_risk"], first["breached"]) == (True, False)
    assert first["due_at"].startswith("2025-03-03T11:00:00")
    resolution = _sla(body, "resolution")
    assert (resolution["at_risk"], resolution["target_seconds"]) == (False, 24 * 3600)


def test_paused_and_breached_clocks_are_shown_as_such(clock, make_ticket, api, agent_l1, requester):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(9, 30))
    services.ticket_hold(ticket=ticket, actor=agent_l1)
    clock.to(at(12))

    body = api(requester).get(f"/api/tickets/{ticket.pk}/").json()

    assert _sla(body, "resolution")["state"] == "paused"
    assert _sla(body, "resolution")["remaining_seconds"] == 23 * 3600 + 30 * 60  # frozen
    assert _sla(body, "first_response")["breached"] is True
    assert _sla(body, "first_response")["remaining_seconds"] == -3600


def test_the_schema_says_what_a_paused_clock_gives_as_due_time_and_time_left():
    """While paused, due_at is the due time as of the pause (in the past after a long wait, for
    a clock that is not breached) and remaining_seconds is frozen: the schema said neither."""
    fields = SlaClockSerializer().fields
    assert "While paused" in str(fields["due_at"].help_text)
    assert "frozen while paused" in str(fields["remaining_seconds"].help_text)


def test_the_list_filters_at_risk_and_breached_tickets(clock, make_ticket, api, agent_l1):
    breached = make_ticket(Status.IN_DIAGNOSIS)  # first response due 11:00
    clock.to(at(10, 50))
    at_risk = make_ticket(Status.IN_DIAGNOSIS)  # due 12:50, 75 % at 12:20
    clock.to(at(12, 30))
    fine = make_ticket(Status.IN_DIAGNOSIS)
    client = api(agent_l1)

    def ids(query):
        return [row["id"] for row in client.get(f"/api/tickets/?{query}").json()["results"]]

    assert ids("sla=breached") == [breached.pk]
    assert ids("sla=at_risk") == [at_risk.pk]
    assert fine.pk in ids("")
    response = client.get("/api/tickets/?sla=late")
    assert response.status_code == 400
    assert "sla" in response.json()["errors"]


def test_a_breach_stays_visible_after_the_clock_stopped(clock, make_ticket, api, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(12))
    services.comment_create(ticket=ticket, actor=agent_l1, body="late reply")

    rows = api(agent_l1).get("/api/tickets/?sla=breached").json()["results"]
    assert [row["id"] for row in rows] == [ticket.pk]
    assert _sla(rows[0], "first_response")["state"] == "breached"
    assert _sla(rows[0], "first_response")["remaining_seconds"] is None


POLICY = {
    "name": "Gold contract",
    "position": 10,
    "targets": [
        {"priority": 1, "first_response": "00:15:00", "resolution": "02:00:00"},
        {"priority": 2, "first_response": "00:30:00", "resolution": "04:00:00"},
    ],
}


def test_a_manager_creates_and_edits_a_policy(api, manager, organisation):
    client = api(manager)
    response = client.post(
        "/api/sla/policies/", {**POLICY, "organisation": organisation.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    policy = SlaPolicy.objects.get(name="Gold contract")
    assert policy.organisation == organisation
    assert sorted(policy.targets.values_list("priority", flat=True)) == [1, 2]

    response = client.patch(
        f"/api/sla/policies/{policy.pk}/",
        {"targets": [{"priority": 1, "first_response": "00:10:00", "resolution": "01:00:00"}]},
        format="json",
    )
    assert response.status_code == 200
    assert [t["first_response"] for t in response.json()["targets"]] == ["00:10:00"]


def test_agents_read_policies_but_cannot_change_them_and_requesters_see_nothing(
    api, agent_l1, requester
):
    assert any(
        p["name"] == "Default (24×7)" for p in api(agent_l1).get("/api/sla/policies/").json()
    )
    assert api(agent_l1).post("/api/sla/policies/", POLICY, format="json").status_code == 403
    assert api(requester).get("/api/sla/policies/").status_code == 403


def test_bad_targets_are_a_400(api, manager):
    twice = {**POLICY, "targets": [POLICY["targets"][0], POLICY["targets"][0]]}  # type: ignore[index]
    response = api(manager).post("/api/sla/policies/", twice, format="json")
    assert response.status_code == 400
    zero = {**POLICY, "targets": [{"priority": 1, "first_response": "0", "resolution": "1:00:00"}]}
    assert api(manager).post("/api/sla/policies/", zero, format="json").status_code == 400


def test_staff_read_the_business_hours_calendars(api, agent_l1, requester):
    from datetime import time

    from sla.models import Calendar, CalendarHours

    office = Calendar.objects.create(name="Madrid office", time_zone="Europe/Madrid")
    CalendarHours.objects.create(calendar=office, weekday=0, opens=time(9), closes=time(17))

    body = api(agent_l1).get("/api/sla/calendars/").json()
    assert body == [
        {
            "id": office.pk,
            "name": "Madrid office",
            "time_zone": "Europe/Madrid",
            "hours": [{"weekday": 0, "opens": "09:00:00", "closes": "17:00:00"}],
            "holidays": [],
        }
    ]
    assert api(requester).get("/api/sla/calendars/").status_code == 403


def test_a_target_longer_than_the_bound_is_a_400_and_tickets_can_still_be_created(
    api, manager, requester
):
    # A policy with a "999999999 00:00:00" target used to be saved; then every new ticket it
    # applied to was a 500 (its due time past the year 9999).
    huge = "999999999 00:00:00"
    body = {
        "name": "Forever",
        "position": 0,
        "targets": [
            {"priority": p, "first_response": "01:00:00", "resolution": huge} for p in (1, 2, 3, 4)
        ],
    }
    response = api(manager).post("/api/sla/policies/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["targets"] == ["Targets can be at most 90 days."]
    assert not SlaPolicy.objects.filter(name="Forever").exists()

    ticket = api(requester).post(
        "/api/tickets/",
        {"title": "Printer on fire", "description": "Smoke.", "urgency": "medium"},
        format="json",
    )
    assert ticket.status_code == 201, ticket.content


def test_the_admin_refuses_a_target_past_the_bound_with_a_form_error(client, manager):
    manager.is_staff = manager.is_superuser = True
    manager.save()
    client.force_login(manager)
    form = {
        "name": "Forever",
        "position": "0",
        "is_active": "on",
        "kind": "",
        "escalate_on_breach": "on",
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
        "targets-0-priority": "1",
        "targets-0-first_response": "01:00:00",
        "targets-0-resolution": "999999999 00:00:00",
    }

    answer = client.post("/admin/sla/slapolicy/add/", form)

    assert answer.status_code == 200
    assert "Targets can be at most 90 days." in answer.content.decode()
    assert not SlaPolicy.objects.filter(name="Forever").exists()
    form["targets-0-resolution"] = "90 00:00:00"
    assert client.post("/admin/sla/slapolicy/add/", form).status_code == 302


def test_targets_the_business_hours_never_reach_are_a_400_not_a_500(api, manager, requester):
    # With one opening hour a week a 30-day resolution is 14 years away: every ticket the
    # policy applied to failed ("no opening hours within three years").
    sparse = Calendar.objects.create(name="Mondays 9-10", time_zone="UTC")
    CalendarHours.objects.create(calendar=sparse, weekday=0, opens=time(9), closes=time(10))
    body = {
        "name": "Sparse",
        "position": 0,
        "calendar": sparse.pk,
        "targets": [
            {"priority": p, "first_response": "01:00:00", "resolution": "30 00:00:00"}
            for p in (1, 2, 3, 4)
        ],
    }
    client = api(manager)

    response = client.post("/api/sla/policies/", body, format="json")
    assert response.status_code == 400, response.content
    assert "not reached within three years" in response.json()["errors"]["targets"][0]
    assert not SlaPolicy.objects.filter(name="Sparse").exists()

    # Moving a policy with long targets onto the sparse calendar is refused too.
    created = client.post("/api/sla/policies/", {**body, "calendar": None}, format="json")
    assert created.status_code == 201, created.content
    moved = client.patch(
        f"/api/sla/policies/{created.json()['id']}/", {"calendar": sparse.pk}, format="json"
    )
    assert moved.status_code == 400, moved.content
    assert SlaPolicy.objects.get(name="Sparse").calendar is None
    ticket = api(requester).post(
        "/api/tickets/",
        {"title": "Printer on fire", "description": "Smoke.", "urgency": "medium"},
        format="json",
    )
    assert ticket.status_code == 201, ticket.content


@pytest.mark.parametrize("position", [2**40, 1_000_001, -1])
def test_a_policy_position_out_of_bounds_is_a_400(api, manager, position):
    """As a routing rule's: 2**40 was saved on the embedded SQLite (a 64-bit column there) and
    refused by PostgreSQL's integer column (tests/helpdesk/test_embedded_sqlite.py)."""
    response = api(manager).post(
        "/api/sla/policies/", {**POLICY, "position": position}, format="json"
    )
    assert response.status_code == 400
    assert "position" in response.json()["errors"]
    assert not SlaPolicy.objects.filter(name="Gold contract").exists()


def test_the_admin_list_refuses_a_position_past_the_bound(manager_admin_client):
    """The list's editable position (SLA policies and routing rules) as the API bounds it."""
    policy = SlaPolicy.objects.get(name="Default (24×7)")
    listed = manager_admin_client.post(
        "/admin/sla/slapolicy/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(policy.pk),
            "form-0-position": str(2**40),
            "form-0-is_active": "on",
            "_save": "Save",
        },
    )
    assert listed.status_code == 200
    assert "Ensure this value is less than or equal to 1000000." in listed.content.decode()
    policy.refresh_from_db()
    assert policy.position != 2**40
