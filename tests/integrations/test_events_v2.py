"""The generic intake, shaped like PagerDuty's Events API v2: trigger, acknowledge, resolve."""

import pytest

from integrations.models import AlertStatus, MonitoredAlert
from tests.integrations.conftest import payload
from tickets.models import Comment, Level, Priority, Source, Status, Ticket

pytestmark = pytest.mark.django_db


def incident_of(configured):
    return Ticket.objects.get(requester=configured.integration.service_account)


def test_trigger_opens_an_incident_mapped_by_severity(events, post_event, category):
    response = post_event(events.token, payload("events_trigger"))

    assert response.status_code == 202, response.json()
    ticket = incident_of(events)
    assert response.json() == {
        "status": "success",
        "message": "Event processed.",
        "dedup_key": "disk-full/db-1",
        "outcome": "opened",
        "ticket": ticket.reference,
    }
    assert (ticket.title, ticket.source, ticket.status) == (
        "Disk full on db-1",
        Source.MONITORING,
        Status.PRIORITIZED,
    )
    assert (ticket.impact, ticket.urgency, ticket.priority, ticket.category) == (
        Level.HIGH,
        Level.HIGH,
        Priority.P1,
        category,
    )
    assert '"mount": "/var/lib/postgresql"' in ticket.description
    assert "source=db-1.example.com" in ticket.description
    assert "https://zabbix.example.com/tr_events.php?triggerid=42" in ticket.description


@pytest.mark.parametrize(
    ("severity", "priority"),
    [("critical", 1), ("error", 2), ("warning", 3), ("info", 5)],
)
def test_each_severity_maps_to_a_priority(events, post_event, severity, priority):
    body = payload("events_trigger")
    body["payload"]["severity"] = severity

    post_event(events.token, body)

    assert incident_of(events).priority == priority


def test_trigger_again_with_the_same_dedup_key_only_counts(events, post_event):
    post_event(events.token, payload("events_trigger"))

    response = post_event(events.token, payload("events_trigger"))

    assert response.json()["outcome"] == "repeated"
    assert Ticket.objects.count() == 1
    assert MonitoredAlert.objects.get().fire_count == 2


def test_acknowledge_adds_an_internal_note(events, post_event):
    post_event(events.token, payload("events_trigger"))

    response = post_event(events.token, payload("events_acknowledge"))

    assert response.json()["outcome"] == "acknowledged"
    ticket = incident_of(events)
    assert ticket.status == Status.PRIORITIZED
    note = ticket.comments.get()
    assert note.is_internal is True
    assert note.body.startswith("The alert was acknowledged in the monitoring system at ")


def test_resolve_resolves_the_incident(events, post_event):
    post_event(events.token, payload("events_trigger"))

    response = post_event(events.token, payload("events_resolve"))

    assert response.json()["outcome"] == "resolved"
    ticket = incident_of(events)
    assert ticket.status == Status.RESOLVED
    assert ticket.comments.get().is_internal is False
    assert MonitoredAlert.objects.get().status == AlertStatus.RESOLVED


def test_acknowledge_or_resolve_of_an_unknown_key_is_ignored(events, post_event):
    assert post_event(events.token, payload("events_acknowledge")).json()["outcome"] == "ignored"
    assert post_event(events.token, payload("events_resolve")).json()["outcome"] == "ignored"
    assert not Ticket.objects.exists()
    assert not Comment.objects.exists()


def test_a_trigger_soon_after_resolve_flaps_and_later_opens_a_new_incident(
    events, post_event, time_machine
):
    time_machine.move_to("2024-05-06T09:00:00Z", tick=False)
    post_event(events.token, payload("events_trigger"))
    time_machine.move_to("2024-05-06T09:10:00Z", tick=False)
    post_event(events.token, payload("events_resolve"))

    time_machine.move_to("2024-05-06T09:15:00Z", tick=False)
    flapped = post_event(events.token, payload("events_trigger")).json()
    time_machine.move_to("2024-05-06T09:20:00Z", tick=False)
    post_event(events.token, payload("events_resolve"))
    time_machine.move_to("2024-05-06T11:00:00Z", tick=False)
    reopened = post_event(events.token, payload("events_trigger")).json()

    assert flapped["outcome"] == "flapped"
    assert reopened["outcome"] == "opened"
    old, new = Ticket.objects.order_by("id")
    assert (flapped["ticket"], reopened["ticket"]) == (old.reference, new.reference)
    assert "flap 1 on this incident" in old.comments.get(is_internal=True).body
    assert MonitoredAlert.objects.count() == 3


def test_a_trigger_without_a_dedup_key_gets_one(events, post_event):
    body = payload("events_trigger")
    del body["dedup_key"]

    response = post_event(events.token, body)

    key = response.json()["dedup_key"]
    assert len(key) == 32
    assert MonitoredAlert.objects.get().fingerprint == key


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("events_trigger", lambda b: b.pop("payload"), "payload: A trigger needs a payload."),
        ("events_trigger", lambda b: b["payload"].pop("summary"), "payload.summary: This field"),
        ("events_trigger", lambda b: b["payload"].pop("source"), "payload.source: This field"),
        ("events_trigger", lambda b: b["payload"].update(severity="bad"), "payload.severity: "),
        ("events_trigger", lambda b: b.update(event_action="snooze"), "event_action: "),
        ("events_resolve", lambda b: b.pop("dedup_key"), "dedup_key is required to resolve."),
        ("events_acknowledge", lambda b: b.pop("dedup_key"), "dedup_key is required to ackn"),
    ],
)
def test_a_malformed_event_is_refused_with_the_reason(events, post_event, name, change, message):
    body = payload(name)
    change(body)

    response = post_event(events.token, body)

    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert not Ticket.objects.exists()


def test_a_missing_routing_key_is_400(events, post_event):
    response = post_event(None, payload("events_trigger"))

    assert response.status_code == 400
    assert response.json()["message"] == "routing_key is required."


@pytest.mark.parametrize("routing_key", ["wrong", "abc.def", "x" * 300])
def test_a_wrong_routing_key_is_401(events, post_event, routing_key):
    response = post_event(routing_key, payload("events_trigger"))

    assert response.status_code == 401
    assert response.json()["message"] == "Invalid routing_key."
    assert not Ticket.objects.exists()


def test_an_alertmanager_token_is_not_a_routing_key(alertmanager, post_event):
    assert post_event(alertmanager.token, payload("events_trigger")).status_code == 401


def test_one_routing_key_cannot_resolve_another_integrations_incident(make_integration, post_event):
    from integrations.models import IntegrationKind

    first = make_integration(name="Zabbix A", kind=IntegrationKind.EVENTS_V2)
    second = make_integration(name="Zabbix B", kind=IntegrationKind.EVENTS_V2)
    post_event(second.token, payload("events_trigger"))

    response = post_event(first.token, payload("events_resolve"))

    assert response.json()["outcome"] == "ignored"
    assert incident_of(second).status == Status.PRIORITIZED
