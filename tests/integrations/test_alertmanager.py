"""The Alertmanager webhook: firing opens an incident, repeats are counted, resolved resolves."""

import hashlib

import pytest
from django.contrib.auth import authenticate
from rest_framework.test import APIClient

from accounts.services import api_token_create
from integrations import services
from integrations.models import AlertStatus, IntegrationKind, MonitoredAlert
from tests.factories import CategoryFactory
from tests.integrations.conftest import payload
from tickets import services as ticket_services
from tickets.models import (
    ClosureCode,
    Comment,
    EventKind,
    Level,
    Priority,
    Source,
    Status,
    Ticket,
    TicketEvent,
)

pytestmark = pytest.mark.django_db


def incidents_of(configured):
    return Ticket.objects.filter(requester=configured.integration.service_account).order_by("id")


def alert_payload(
    name="alertmanager_firing", *, starts_at=None, ends_at=None, status=None, **labels
):
    body = payload(name)
    alert = body["alerts"][0]
    if starts_at:
        alert["startsAt"] = starts_at
    if ends_at:
        alert["endsAt"] = ends_at
    if status:
        alert["status"] = body["status"] = status
    alert["labels"].update(labels)
    return body


def resolved_at(ends_at, *, starts_at=None):
    return alert_payload("alertmanager_resolved", starts_at=starts_at, ends_at=ends_at)


# --- opening -----------------------------------------------------------------------------------


def test_a_firing_alert_opens_a_triaged_incident_requested_by_the_service_account(
    alertmanager, post_alerts, category
):
    response = post_alerts(alertmanager.token, payload("alertmanager_firing"))

    assert response.status_code == 200, response.json()
    (ticket,) = incidents_of(alertmanager)
    assert response.json()["alerts"] == [
        {"fingerprint": "5f0b1c3a9e2d7a41", "outcome": "opened", "ticket": ticket.reference}
    ]
    assert (ticket.kind, ticket.source, ticket.requester_id) == (
        "incident",
        Source.MONITORING,
        alertmanager.integration.service_account_id,
    )
    assert ticket.title == "Checkout error rate above 5%"
    assert "answers 12% of requests with a 5xx" in ticket.description
    assert "severity=critical" in ticket.description
    assert "runbook_url: https://runbooks.example.com/checkout-errors" in ticket.description
    assert "http://prometheus.example.com:9090/graph" in ticket.description
    assert ticket.affected == "checkout"
    # severity=critical → impact high × urgency high → P1, through the normal triage.
    assert (ticket.status, ticket.category, ticket.impact, ticket.urgency) == (
        Status.PRIORITIZED,
        category,
        Level.HIGH,
        Level.HIGH,
    )
    assert (ticket.priority, ticket.priority_is_provisional) == (Priority.P1, False)
    events = list(ticket.events.values_list("kind", "transition", "actor_id"))
    assert events == [
        (EventKind.CREATED, "", alertmanager.integration.service_account_id),
        (EventKind.TRANSITION, "identify", None),
        (EventKind.TRANSITION, "categorize", None),
        (EventKind.TRANSITION, "prioritize", None),
        (EventKind.CHANGE, "", None),  # the normal routing: P1 goes straight to L3
    ]
    assert ticket.tier == 3
    alert = MonitoredAlert.objects.get()
    assert (alert.fingerprint, alert.status, alert.fire_count, alert.ticket) == (
        "5f0b1c3a9e2d7a41",
        AlertStatus.FIRING,
        1,
        ticket,
    )
    assert alert.starts_at.isoformat() == "2024-05-06T09:00:00.123456+00:00"


def test_rules_in_the_admin_map_labels_to_category_and_priority(alertmanager, post_alerts):
    from integrations.models import AlertRule

    payments = CategoryFactory(name="Payments")
    AlertRule.objects.create(
        position=1, label="service", pattern="checkout|payments", category=payments, urgency="low"
    )

    post_alerts(alertmanager.token, payload("alertmanager_firing"))

    (ticket,) = incidents_of(alertmanager)
    # category and urgency from the service rule; impact from the default severity rule
    assert (ticket.category, ticket.impact, ticket.urgency, ticket.priority) == (
        payments,
        Level.HIGH,
        Level.LOW,
        Priority.P3,
    )


def test_an_alert_without_a_summary_is_titled_by_its_name_and_instance(alertmanager, post_alerts):
    post_alerts(alertmanager.token, payload("alertmanager_grouped"))

    titles = list(incidents_of(alertmanager).values_list("title", "priority"))
    assert titles == [
        ("InstanceDown on db-1:9100", Priority.P1),
        ("Disk on web-2 fills up within 24 hours", Priority.P3),
    ]


def test_grouped_alerts_each_get_their_own_incident_and_unknown_resolved_ones_are_ignored(
    alertmanager, post_alerts
):
    response = post_alerts(alertmanager.token, payload("alertmanager_grouped"))

    assert response.status_code == 200
    outcomes = [(a["fingerprint"], a["outcome"]) for a in response.json()["alerts"]]
    assert outcomes == [
        ("a1a1a1a1a1a1a1a1", "opened"),
        ("b2b2b2b2b2b2b2b2", "opened"),
        ("c3c3c3c3c3c3c3c3", "ignored"),
    ]
    assert incidents_of(alertmanager).count() == 2
    assert MonitoredAlert.objects.count() == 2


# --- dedupe -----------------------------------------------------------------------------------


def test_the_same_firing_again_only_counts(alertmanager, post_alerts):
    post_alerts(alertmanager.token, payload("alertmanager_firing"))
    ticket = incidents_of(alertmanager).get()
    first_seen = MonitoredAlert.objects.get().last_seen_at
    events_before = TicketEvent.objects.count()

    response = post_alerts(alertmanager.token, payload("alertmanager_repeat"))
    post_alerts(alertmanager.token, payload("alertmanager_repeat"))

    assert response.json()["alerts"][0] == {
        "fingerprint": "5f0b1c3a9e2d7a41",
        "outcome": "repeated",
        "ticket": ticket.reference,
    }
    alert = MonitoredAlert.objects.get()
    assert alert.fire_count == 3
    assert alert.last_seen_at > first_seen
    assert incidents_of(alertmanager).count() == 1
    assert TicketEvent.objects.count() == events_before
    assert not Comment.objects.exists()


def test_a_repeat_costs_a_fixed_number_of_queries(
    alertmanager, post_alerts, django_assert_num_queries
):
    post_alerts(alertmanager.token, payload("alertmanager_firing"))

    # 1 the integration by token id (+ service account)
    # 2 SAVEPOINT (the delivery's transaction, inside the test's)
    # 3 the integration row lock
    # 4 the firing by (integration, fingerprint, startsAt) with its ticket
    # 5 update fire_count / last_seen_at
    # 6 RELEASE SAVEPOINT
    with django_assert_num_queries(6):
        response = post_alerts(alertmanager.token, payload("alertmanager_repeat"))
    assert response.json()["alerts"][0]["outcome"] == "repeated"


# --- auto-resolve -----------------------------------------------------------------------------


def test_resolved_resolves_the_incident_with_a_public_recovery_note(alertmanager, post_alerts):
    post_alerts(alertmanager.token, payload("alertmanager_firing"))

    response = post_alerts(alertmanager.token, payload("alertmanager_resolved"))

    assert response.json()["alerts"][0]["outcome"] == "resolved"
    ticket = incidents_of(alertmanager).get()
    assert ticket.status == Status.RESOLVED
    assert ticket.closure_code == ClosureCode.FIXED
    assert ticket.resolved_at is not None
    assert ticket.resolution_summary.startswith("Recovered at 2024-05-06 09:20:00 UTC")
    event = ticket.events.get(transition="recover")
    assert (event.actor_id, event.from_status, event.to_status) == (
        None,
        Status.PRIORITIZED,
        Status.RESOLVED,
    )
    note = ticket.comments.get()
    assert note.is_internal is False
    assert note.body.startswith("Recovered at 2024-05-06 09:20:00 UTC")
    alert = MonitoredAlert.objects.get()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolved_at.isoformat() == "2024-05-06T09:20:00.500000+00:00"


def test_resolved_twice_changes_nothing_the_second_time(alertmanager, post_alerts):
    post_alerts(alertmanager.token, payload("alertmanager_firing"))
    post_alerts(alertmanager.token, payload("alertmanager_resolved"))

    response = post_alerts(alertmanager.token, payload("alertmanager_resolved"))

    assert response.json()["alerts"][0]["outcome"] == "ignored"
    assert Comment.objects.count() == 1
    assert TicketEvent.objects.filter(transition="recover").count() == 1


@pytest.mark.parametrize("status", [Status.IN_DIAGNOSIS, Status.ON_HOLD])
def test_when_an_agent_has_the_incident_recovery_only_adds_an_internal_note(
    alertmanager, post_alerts, agent_l1, status
):
    post_alerts(alertmanager.token, payload("alertmanager_firing"))
    ticket = incidents_of(alertmanager).get()
    # The P1 would be routed to L3 by the escalation rules; here an L1 agent holds it.
    Ticket.objects.filter(pk=ticket.pk).update(tier=1)
    ticket = ticket_services.ticket_take(ticket=ticket, actor=agent_l1)
    if status == Status.ON_HOLD:
        ticket = ticket_services.ticket_hold(ticket=ticket, actor=agent_l1)

    response = post_alerts(alertmanager.token, payload("alertmanager_resolved"))

    assert response.json()["alerts"][0]["outcome"] == "noted"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (status, agent_l1)
    note = ticket.comments.get()
    assert note.is_internal is True
    assert "recovered at 2024-05-06 09:20:00 UTC" in note.body
    assert MonitoredAlert.objects.get().status == AlertStatus.RESOLVED


def test_the_system_cannot_recover_an_incident_in_diagnosis(make_ticket):
    from django_fsm import TransitionNotAllowed

    ticket = make_ticket(Status.IN_DIAGNOSIS)

    with pytest.raises(TransitionNotAllowed):
        ticket_services.ticket_recover(ticket=ticket, summary="Recovered at …")


def test_recovery_of_an_escalated_incident_nobody_took_resolves_it(
    alertmanager, post_alerts, agent_l1
):
    post_alerts(alertmanager.token, payload("alertmanager_firing"))
    ticket = incidents_of(alertmanager).get()
    Ticket.objects.filter(pk=ticket.pk).update(tier=1)
    ticket = ticket_services.ticket_take(ticket=ticket, actor=agent_l1)
    ticket_services.ticket_escalate(ticket=ticket, actor=agent_l1, reason="Needs the DBAs")

    post_alerts(alertmanager.token, payload("alertmanager_resolved"))

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


# --- after recovery: a new incident, or a flap --------------------------------------------------


def test_a_new_start_long_after_recovery_opens_a_new_incident_linked_to_the_old(
    alertmanager, post_alerts
):
    post_alerts(alertmanager.token, payload("alertmanager_firing"))
    post_alerts(alertmanager.token, resolved_at("2024-05-06T09:20:00Z"))

    # 70 minutes after recovery; the window is 30.
    response = post_alerts(alertmanager.token, alert_payload(starts_at="2024-05-06T10:30:00Z"))

    assert response.json()["alerts"][0]["outcome"] == "opened"
    old, new = incidents_of(alertmanager)
    assert old.status == Status.RESOLVED
    assert new.status == Status.PRIORITIZED
    assert f"This alert fired before: see {old.reference}." in new.description
    latest = MonitoredAlert.objects.get(ticket=new)
    assert latest.previous.ticket == old
    assert latest.flap_count == 0


def test_a_new_start_soon_after_recovery_is_a_flap_on_the_same_incident(alertmanager, post_alerts):
    post_alerts(alertmanager.token, payload("alertmanager_firing"))
    post_alerts(alertmanager.token, resolved_at("2024-05-06T09:20:00Z"))

    response = post_alerts(alertmanager.token, alert_payload(starts_at="2024-05-06T09:29:00Z"))

    assert response.json()["alerts"][0]["outcome"] == "flapped"
    ticket = incidents_of(alertmanager).get()
    # Recovered by the system, so back in its tier's queue as before.
    assert (ticket.status, ticket.resolved_at, ticket.closure_code, ticket.reopen_count) == (
        Status.PRIORITIZED,
        None,
        "",
        1,
    )
    relapse = ticket.events.get(transition="relapse")
    assert (relapse.actor_id, relapse.reason_is_internal) == (None, True)
    note = ticket.comments.filter(is_internal=True).get()
    assert note.body == (
        "Flapping: the alert fired again 9 minutes after it recovered (flap 1 on this incident)."
    )
    first, second = MonitoredAlert.objects.order_by("starts_at")
    assert (second.previous, second.ticket, second.flap_count) == (first, ticket, 1)

    # It recovers and flaps again: flap 2, still one incident.
    post_alerts(
        alertmanager.token,
        resolved_at("2024-05-06T09:35:00Z", starts_at="2024-05-06T09:29:00Z"),
    )
    post_alerts(alertmanager.token, alert_payload(starts_at="2024-05-06T09:40:00Z"))

    ticket.refresh_from_db()
    assert incidents_of(alertmanager).count() == 1
    assert ticket.status == Status.PRIORITIZED
    assert MonitoredAlert.objects.order_by("starts_at").last().flap_count == 2
    assert (
        ticket.comments.filter(is_internal=True).last().body.endswith("(flap 2 on this incident).")
    )


def test_a_flap_after_an_agent_resolved_it_reopens_it_for_that_agent(
    alertmanager, post_alerts, agent_l1
):
    post_alerts(alertmanager.token, payload("alertmanager_firing"))
    ticket = incidents_of(alertmanager).get()
    Ticket.objects.filter(pk=ticket.pk).update(tier=1)
    ticket = ticket_services.ticket_take(ticket=ticket, actor=agent_l1)
    post_alerts(alertmanager.token, resolved_at("2024-05-06T09:20:00Z"))  # a note for the agent
    ticket_services.ticket_resolve(
        ticket=ticket, actor=agent_l1, summary="Rolled back.", code=ClosureCode.FIXED
    )

    post_alerts(alertmanager.token, alert_payload(starts_at="2024-05-06T09:25:00Z"))

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.IN_DIAGNOSIS, agent_l1)
    assert ticket.events.get(transition="reopen").actor == alertmanager.integration.service_account


def test_with_the_flapping_window_off_every_new_start_opens_an_incident(
    make_integration, post_alerts
):
    configured = make_integration(flap_window_minutes=0)
    post_alerts(configured.token, payload("alertmanager_firing"))
    post_alerts(configured.token, resolved_at("2024-05-06T09:20:00Z"))

    post_alerts(configured.token, alert_payload(starts_at="2024-05-06T09:21:00Z"))

    assert incidents_of(configured).count() == 2


def test_a_flap_on_a_closed_incident_opens_a_new_one(alertmanager, post_alerts):
    post_alerts(alertmanager.token, payload("alertmanager_firing"))
    post_alerts(alertmanager.token, resolved_at("2024-05-06T09:20:00Z"))
    ticket = incidents_of(alertmanager).get()
    ticket_services.ticket_close(ticket=ticket, actor=ticket.requester)  # the service account

    response = post_alerts(alertmanager.token, alert_payload(starts_at="2024-05-06T09:25:00Z"))

    assert response.json()["alerts"][0]["outcome"] == "opened"
    assert incidents_of(alertmanager).count() == 2


def test_a_new_start_while_still_firing_continues_the_same_incident(alertmanager, post_alerts):
    post_alerts(alertmanager.token, payload("alertmanager_firing"))

    response = post_alerts(alertmanager.token, alert_payload(starts_at="2024-05-06T09:05:00Z"))

    assert response.json()["alerts"][0]["outcome"] == "continued"
    ticket = incidents_of(alertmanager).get()
    assert ticket.status == Status.PRIORITIZED
    old, new = MonitoredAlert.objects.order_by("starts_at")
    assert (old.status, new.status, new.previous, new.ticket) == (
        AlertStatus.RESOLVED,
        AlertStatus.FIRING,
        old,
        ticket,
    )
    # The latest firing is the one a resolution must match.
    post_alerts(
        alertmanager.token, resolved_at("2024-05-06T09:30:00Z", starts_at="2024-05-06T09:05:00Z")
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


# --- bad input, and nothing half-written ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("alertmanager_missing_fingerprint", "alerts[0].fingerprint: This field is required."),
        ("alertmanager_missing_starts_at", "alerts[0].startsAt: This field is required."),
        ("alertmanager_missing_labels", "alerts[0].labels: This field is required."),
        ("alertmanager_missing_alerts", "alerts: This field is required."),
    ],
)
def test_a_payload_with_missing_fields_is_refused_with_the_reason(
    alertmanager, post_alerts, name, message
):
    response = post_alerts(alertmanager.token, payload(name))

    assert response.status_code == 400
    assert response.json()["message"] == message
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.update(version="3"), "version: Only version 4 of the webhook is supported."),
        (lambda b: b.update(alerts=[]), "alerts: This list may not be empty."),
        (lambda b: b["alerts"][0].update(status="pending"), 'alerts[0].status: "pending" is not'),
        (lambda b: b["alerts"][0].update(startsAt="yesterday"), "alerts[0].startsAt: Not an RFC"),
        (
            lambda b: b["alerts"][0].update(startsAt="9999-12-31T23:59:59-23:00"),
            "alerts[0].startsAt: This date and time is out of range.",
        ),
        (
            lambda b: b["alerts"][0].update(endsAt="9999-12-31T23:00:00-01:30"),
            "alerts[0].endsAt: This date and time is out of range.",
        ),
        (lambda b: b["alerts"][0].update(labels="x"), "alerts[0].labels: Expected a dictionary"),
        (lambda b: b["alerts"][0].update(fingerprint="f" * 300), "alerts[0].fingerprint: Ensure"),
    ],
)
def test_a_malformed_payload_is_refused_with_the_reason(alertmanager, post_alerts, change, message):
    body = payload("alertmanager_firing")
    change(body)

    response = post_alerts(alertmanager.token, body)

    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "The body is not valid JSON."),
        (b"[1, 2]", "The body must be a JSON object."),
        (b"\xff\xfe", "The body is not valid JSON."),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(alertmanager, post_alerts, raw, message):
    response = post_alerts(alertmanager.token, None, raw=raw)

    assert (response.status_code, response.json()) == (400, {"message": message})


def test_an_oversized_payload_is_refused(alertmanager, post_alerts, settings):
    settings.HELPDESK_INTEGRATIONS_MAX_BYTES = 512

    response = post_alerts(alertmanager.token, payload("alertmanager_grouped"))

    assert response.status_code == 413
    assert response.json()["message"] == "The payload is larger than 512 bytes."
    assert not Ticket.objects.exists()


def test_a_failure_midway_leaves_nothing_of_the_delivery(alertmanager, post_alerts, monkeypatch):
    real_triage = ticket_services.ticket_triage
    calls = []

    def triage_failing_the_second_time(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            from helpdesk.errors import DomainError

            raise DomainError("This category is no longer in use.", field="category")
        return real_triage(**kwargs)

    monkeypatch.setattr(ticket_services, "ticket_triage", triage_failing_the_second_time)

    response = post_alerts(alertmanager.token, payload("alertmanager_grouped"))

    assert response.status_code == 400
    assert len(calls) == 2
    assert not Ticket.objects.exists()
    assert not MonitoredAlert.objects.exists()
    assert not TicketEvent.objects.exists()


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer nope", "Bearer abc.def", "Token abc", "Bearer a b"],
)
def test_a_missing_or_wrong_token_is_401(alertmanager, authorization):
    client = APIClient()
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.post(
        "/api/integrations/alertmanager/", payload("alertmanager_firing"), format="json", **headers
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="integrations"'
    assert "message" in response.json()
    assert not Ticket.objects.exists()


def test_a_token_with_the_right_id_and_a_wrong_secret_is_401(alertmanager, post_alerts):
    token_id = alertmanager.token.split(".")[0]

    response = post_alerts(f"{token_id}.guessed-secret", payload("alertmanager_firing"))

    assert response.status_code == 401


def test_only_a_hash_of_the_token_is_stored(alertmanager):
    integration = alertmanager.integration
    integration.refresh_from_db()

    assert integration.token_hash == hashlib.sha256(alertmanager.token.encode()).hexdigest()
    stored = [str(value) for value in integration.__dict__.values()]
    assert alertmanager.token not in stored


def test_a_rotated_token_replaces_the_old_one(alertmanager, post_alerts):
    new_token = services.integration_rotate_token(integration=alertmanager.integration)

    assert post_alerts(alertmanager.token, payload("alertmanager_firing")).status_code == 401
    assert post_alerts(new_token, payload("alertmanager_firing")).status_code == 200


def test_a_disabled_integration_is_refused(alertmanager, post_alerts):
    alertmanager.integration.is_active = False
    alertmanager.integration.save()

    assert post_alerts(alertmanager.token, payload("alertmanager_firing")).status_code == 401


def test_an_events_token_does_not_work_on_the_alertmanager_endpoint(events, post_alerts):
    assert post_alerts(events.token, payload("alertmanager_firing")).status_code == 401


def test_one_integrations_token_cannot_touch_another_integrations_alerts(
    make_integration, post_alerts
):
    first = make_integration(name="Prometheus EU")
    second = make_integration(name="Prometheus US")
    post_alerts(first.token, payload("alertmanager_firing"))
    post_alerts(second.token, payload("alertmanager_firing"))

    response = post_alerts(first.token, payload("alertmanager_resolved"))

    assert response.json()["alerts"][0]["ticket"] == incidents_of(first).get().reference
    assert incidents_of(first).get().status == Status.RESOLVED
    assert incidents_of(second).get().status == Status.PRIORITIZED
    assert MonitoredAlert.objects.filter(integration=second.integration).get().fire_count == 1


def test_the_service_account_cannot_sign_in_or_use_the_api(alertmanager, post_alerts):
    account = alertmanager.integration.service_account

    assert not account.is_active
    assert not account.has_usable_password()
    assert authenticate(username=account.username, password="") is None
    # Even an API token issued to it by mistake is refused, and the integration token is
    # accepted only by the integration endpoints.
    token = api_token_create(user=account)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/me/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {alertmanager.token}")
    assert client.get("/api/tickets/").status_code == 401
    assert client.get("/api/me/").status_code == 401


def test_the_endpoints_are_in_the_api_schema(api, agent_l1):
    schema = api(agent_l1).get("/api/schema/?format=json").json()

    assert "/api/integrations/alertmanager/" in schema["paths"]
    assert "/api/integrations/events/v2/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["integrationToken"]["scheme"] == "bearer"


def test_integration_kinds_are_the_two_endpoints():
    assert set(IntegrationKind.values) == {"alertmanager", "events_v2"}


def test_a_resolved_firing_reported_firing_again_with_the_same_start_is_a_flap(
    alertmanager, post_alerts
):
    post_alerts(alertmanager.token, payload("alertmanager_firing"))
    post_alerts(alertmanager.token, payload("alertmanager_resolved"))

    response = post_alerts(alertmanager.token, payload("alertmanager_repeat"))

    assert response.json()["alerts"][0]["outcome"] == "flapped"
    ticket = incidents_of(alertmanager).get()
    assert ticket.status == Status.PRIORITIZED
    alert = MonitoredAlert.objects.get()
    assert (alert.status, alert.resolved_at, alert.fire_count, alert.flap_count) == (
        AlertStatus.FIRING,
        None,
        2,
        1,
    )


def test_the_firings_behind_an_incident_newest_first(alertmanager, post_alerts):
    from integrations.selectors import monitored_alerts_for_ticket

    post_alerts(alertmanager.token, payload("alertmanager_firing"))
    post_alerts(alertmanager.token, resolved_at("2024-05-06T09:20:00Z"))
    post_alerts(alertmanager.token, alert_payload(starts_at="2024-05-06T09:29:00Z"))
    ticket = incidents_of(alertmanager).get()

    firings = list(monitored_alerts_for_ticket(ticket=ticket))

    assert [(f.status, f.flap_count) for f in firings] == [
        (AlertStatus.FIRING, 1),
        (AlertStatus.RESOLVED, 0),
    ]


def test_requesters_never_see_monitoring_incidents(alertmanager, post_alerts, api, requester):
    post_alerts(alertmanager.token, payload("alertmanager_firing"))
    ticket = incidents_of(alertmanager).get()

    client = api(requester)

    assert client.get("/api/tickets/").json()["results"] == []
    assert client.get(f"/api/tickets/{ticket.pk}/").status_code == 404


def test_an_alert_whose_summary_is_invisible_is_titled_by_its_fingerprint(
    alertmanager, post_alerts
):
    """A summary of zero-width characters alone titled nothing: the incident would be refused
    (the alert lost) or listed as an empty line."""
    body = payload("alertmanager_grouped")
    body["alerts"] = body["alerts"][:1]
    body["alerts"][0]["annotations"] = {"summary": "\u200b\u200e"}

    response = post_alerts(alertmanager.token, body)

    assert response.status_code == 200, response.json()
    assert list(incidents_of(alertmanager).values_list("title", flat=True)) == [
        body["alerts"][0]["fingerprint"]
    ]
