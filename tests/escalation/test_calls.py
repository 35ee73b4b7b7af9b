"""Scheduled calls: L2/L3 book them, the requester gets .ics invitations, updates and
cancellations, and a ticket held for a call resumes when the call starts."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django_fsm import TransitionNotAllowed
from icalendar import Calendar

from escalation.models import CallStatus, ScheduledCall, Tier
from escalation.services import call_cancel, call_reschedule, call_schedule
from escalation.tasks import resume_held_for_calls
from notifications.models import Notification, NotificationKind
from notifications.services import notification_deliver
from tickets import services
from tickets.models import EventKind, Status

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CALL_AT = datetime(2026, 3, 3, 15, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def l2_ticket(make_ticket, agent_l2):
    return services.ticket_take(ticket=make_ticket(Status.ESCALATED), actor=agent_l2)


def _schedule(ticket, agent, **overrides):
    values = {
        "starts_at": CALL_AT,
        "duration_minutes": 45,
        "medium": "video",
        "link_or_number": "https://meet.example.com/abc",
        "notes": "INTERNAL-NOTE: customer is upset",
    }
    return call_schedule(ticket=ticket, actor=agent, **{**values, **overrides})


def _send_latest(kind):
    notification = Notification.objects.filter(kind=kind).order_by("-id").first()
    mail.outbox.clear()
    assert notification_deliver(notification_id=notification.pk)
    (message,) = mail.outbox
    ((filename, content, mimetype),) = message.attachments
    return message, filename, Calendar.from_ical(content), mimetype


def _event(calendar):
    (event,) = calendar.walk("VEVENT")
    return event


def test_invitation_update_and_cancellation_carry_a_valid_ics(l2_ticket, agent_l2, requester):
    call = _schedule(l2_ticket, agent_l2)

    message, filename, calendar, mimetype = _send_latest(NotificationKind.CALL_INVITATION)
    assert message.to == [requester.email]
    assert filename == "invite.ics" and mimetype.startswith("text/calendar")
    assert str(calendar["METHOD"]) == "REQUEST"
    event = _event(calendar)
    uid = str(event["UID"])
    assert uid == call.uid
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == CALL_AT
    assert event.decoded("DTEND") == CALL_AT + timedelta(minutes=45)
    assert str(event["ORGANIZER"]) == f"mailto:{agent_l2.email}"
    assert str(event["ATTENDEE"]) == f"mailto:{requester.email}"
    assert "https://meet.example.com/abc" in str(event["LOCATION"])
    assert "INTERNAL-NOTE" not in message.body + calendar.to_ical().decode()

    call_reschedule(call=call, actor=agent_l2, starts_at=CALL_AT + timedelta(days=1))

    message, _, calendar, _ = _send_latest(NotificationKind.CALL_INVITATION)
    event = _event(calendar)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (uid, 1)
    assert event.decoded("DTSTART") == CALL_AT + timedelta(days=1)

    call_cancel(call=call, actor=agent_l2, reason="Solved by email")

    message, filename, calendar, _ = _send_latest(NotificationKind.CALL_CANCELLED)
    event = _event(calendar)
    assert filename == "cancel.ics"
    assert str(calendar["METHOD"]) == "CANCEL"
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (uid, 2)
    assert str(event["STATUS"]) == "CANCELLED"
    # Exactly once per call and sequence: three emails in all.
    assert (
        Notification.objects.filter(ticket=l2_ticket, recipient=requester)
        .filter(kind__in=[NotificationKind.CALL_INVITATION, NotificationKind.CALL_CANCELLED])
        .count()
        == 3
    )
    actions = [e.changes["action"] for e in l2_ticket.events.filter(kind=EventKind.CALL)]
    assert actions == ["scheduled", "rescheduled", "cancelled"]


def test_the_invitation_is_in_the_requesters_language(l2_ticket, agent_l2, requester):
    requester.language = "es"
    requester.time_zone = "Europe/Madrid"
    requester.save()
    _schedule(l2_ticket, agent_l2)

    message, _, calendar, _ = _send_latest(NotificationKind.CALL_INVITATION)

    assert "Europe/Madrid" in message.body
    assert "16:30" in message.body  # 15:30 UTC in Madrid (CET)
    assert "INC-" in str(_event(calendar)["SUMMARY"])


def test_a_cancelled_call_cannot_be_rescheduled_or_cancelled_again(l2_ticket, agent_l2, api):
    call = _schedule(l2_ticket, agent_l2)
    call_cancel(call=call, actor=agent_l2)

    response = api(agent_l2).post(
        f"/api/calls/{call.pk}/reschedule/", {"starts_at": CALL_AT.isoformat()}, format="json"
    )
    assert response.status_code == 409
    assert api(agent_l2).post(f"/api/calls/{call.pk}/cancel/", {}, format="json").status_code == 409


def test_only_l2_and_l3_agents_of_the_ticket_schedule_calls(
    make_ticket, agent_l1, agent_l2, requester, api
):
    l1_ticket = make_ticket(Status.IN_DIAGNOSIS)
    payload = {
        "starts_at": CALL_AT.isoformat(),
        "medium": "phone",
        "link_or_number": "+34 600 000 000",
    }

    assert (
        api(agent_l1)
        .post(f"/api/tickets/{l1_ticket.pk}/calls/", payload, format="json")
        .status_code
        == 403
    )
    # agent_l2 cannot read an L1 ticket at all.
    assert (
        api(agent_l2)
        .post(f"/api/tickets/{l1_ticket.pk}/calls/", payload, format="json")
        .status_code
        == 404
    )
    l2_ticket = services.ticket_escalate(ticket=l1_ticket, actor=agent_l1, reason="r")
    assert (
        api(requester)
        .post(f"/api/tickets/{l2_ticket.pk}/calls/", payload, format="json")
        .status_code
        == 403
    )
    response = api(agent_l2).post(f"/api/tickets/{l2_ticket.pk}/calls/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert ScheduledCall.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {"starts_at": "2026-03-01T10:00:00Z", "medium": "phone", "link_or_number": "+34 600"},
            "starts_at",
        ),
        (
            {"starts_at": CALL_AT.isoformat(), "medium": "video", "link_or_number": "meet me"},
            "link_or_number",
        ),
        ({"starts_at": CALL_AT.isoformat(), "medium": "fax", "link_or_number": "+34"}, "medium"),
        ({"starts_at": CALL_AT.isoformat(), "medium": "phone"}, "link_or_number"),
        (
            {
                "starts_at": CALL_AT.isoformat(),
                "medium": "phone",
                "link_or_number": "+34",
                "duration_minutes": 2,
            },
            "duration_minutes",
        ),
    ],
)
def test_bad_call_input_is_a_400_naming_the_field(payload, field, l2_ticket, agent_l2, api):
    response = api(agent_l2).post(f"/api/tickets/{l2_ticket.pk}/calls/", payload, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert not ScheduledCall.objects.exists()


def test_a_call_on_a_resolved_ticket_is_a_409(l2_ticket, agent_l2):
    services.ticket_resolve(ticket=l2_ticket, actor=agent_l2, summary="s", code="fixed")

    with pytest.raises(TransitionNotAllowed):
        _schedule(l2_ticket, agent_l2)


def test_the_requester_sees_time_medium_and_link_but_never_the_notes(
    l2_ticket, agent_l2, requester, outsider, api
):
    call = _schedule(l2_ticket, agent_l2)

    mine = api(requester).get(f"/api/tickets/{l2_ticket.pk}/calls/")
    assert mine.status_code == 200
    (body,) = mine.json()
    assert body["link_or_number"] == "https://meet.example.com/abc"
    assert body["medium"] == "video" and body["starts_at"]
    assert "notes" not in body and "INTERNAL-NOTE" not in mine.content.decode()
    assert "INTERNAL-NOTE" not in api(requester).get(f"/api/calls/{call.pk}/").content.decode()
    assert "INTERNAL-NOTE" in api(agent_l2).get(f"/api/calls/{call.pk}/").content.decode()
    assert api(outsider).get(f"/api/tickets/{l2_ticket.pk}/calls/").status_code == 404
    assert api(outsider).get(f"/api/calls/{call.pk}/").status_code == 404
    # A requester cannot move or cancel the call.
    assert (
        api(requester).post(f"/api/calls/{call.pk}/cancel/", {}, format="json").status_code == 403
    )


def test_hold_until_call_pauses_the_ticket_and_the_task_resumes_it_once(l2_ticket, agent_l2):
    call = _schedule(l2_ticket, agent_l2, hold_until_call=True)
    l2_ticket.refresh_from_db()
    assert l2_ticket.status == Status.ON_HOLD

    assert resume_held_for_calls() == 0  # not yet time
    with time_machine.travel(CALL_AT, tick=False):
        assert resume_held_for_calls() == 1
        assert resume_held_for_calls() == 0  # idempotent
    with time_machine.travel(CALL_AT + timedelta(hours=1), tick=False):
        assert resume_held_for_calls() == 0

    l2_ticket.refresh_from_db()
    assert l2_ticket.status == Status.IN_DIAGNOSIS
    assert l2_ticket.events.filter(transition="resume").count() == 1
    call.refresh_from_db()
    assert call.hold_released_at == CALL_AT


def test_a_rescheduled_held_call_resumes_at_its_new_time(l2_ticket, agent_l2):
    call = _schedule(l2_ticket, agent_l2, hold_until_call=True)
    call_reschedule(call=call, actor=agent_l2, starts_at=CALL_AT + timedelta(days=1))

    with time_machine.travel(CALL_AT, tick=False):
        assert resume_held_for_calls() == 0
    with time_machine.travel(CALL_AT + timedelta(days=1), tick=False):
        assert resume_held_for_calls() == 1


def test_cancelling_a_held_call_resumes_the_ticket_and_the_task_does_nothing(l2_ticket, agent_l2):
    call = _schedule(l2_ticket, agent_l2, hold_until_call=True)

    call_cancel(call=call, actor=agent_l2, reason="Not needed")

    l2_ticket.refresh_from_db()
    assert l2_ticket.status == Status.IN_DIAGNOSIS
    with time_machine.travel(CALL_AT, tick=False):
        assert resume_held_for_calls() == 0
    assert ScheduledCall.objects.get().status == CallStatus.CANCELLED


def test_an_l3_agent_may_schedule_too(make_ticket, agent_l1, agent_l2, agent_l3):
    ticket = make_ticket(Status.ESCALATED)
    ticket = services.ticket_take(ticket=ticket, actor=agent_l2)
    ticket = services.ticket_escalate(ticket=ticket, actor=agent_l2, reason="r")
    ticket = services.ticket_take(ticket=ticket, actor=agent_l3)

    call = _schedule(ticket, agent_l3, medium="phone", link_or_number="+34 600 000 000")

    assert (call.organiser, call.ticket.tier) == (agent_l3, Tier.L3)
