"""The .ics (iCalendar, RFC 5545/5546) for a scheduled call, rendered when its email is sent.

The notifications outbox calls `call_email_extras` (see notifications.services.EMAIL_EXTRAS) in
the recipient's language, so the invitation always describes the call as it is now: the same UID
for its whole life, SEQUENCE raised by every reschedule and by the cancellation.
"""

from email.utils import parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from escalation.models import CallMedium, CallStatus, ScheduledCall
from notifications.models import Notification, NotificationKind
from notifications.services import EmailExtras


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name)
    return address


def call_ics(*, call: ScheduledCall, method: str) -> bytes:
    """METHOD:REQUEST for an invitation or an update, METHOD:CANCEL for a cancellation."""
    ticket = call.ticket
    requester = ticket.requester
    organiser_email = call.organiser.email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    medium = CallMedium(call.medium).label
    calendar = Calendar()
    calendar.add("prodid", "-//Helpdesk//Scheduled calls//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", call.uid)
    event.add("sequence", call.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", call.starts_at)
    event.add("dtend", call.ends_at)
    event.add(
        "summary",
        _("%(medium)s call about %(reference)s: %(title)s")
        % {"medium": medium, "reference": ticket.reference, "title": ticket.title},
    )
    # What the requester needs to join; the agent's internal notes never go here.
    event.add(
        "description",
        _("%(medium)s call with %(agent)s about your ticket %(reference)s.\nJoin: %(link)s")
        % {
            "medium": medium,
            "agent": call.organiser.name,
            "reference": ticket.reference,
            "link": call.link_or_number,
        },
    )
    event.add("location", call.link_or_number)
    if call.medium == CallMedium.VIDEO:
        event.add("url", call.link_or_number)
    event.add("status", "CANCELLED" if call.status == CallStatus.CANCELLED else "CONFIRMED")
    event.add("organizer", _address(organiser_email, call.organiser.name))
    attendee = _address(requester.email, requester.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("NEEDS-ACTION")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical()


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def call_email_extras(notification: Notification) -> EmailExtras:
    """The call for the email's text and its .ics attachment."""
    call = ScheduledCall.objects.select_related("organiser", "ticket__requester").get(
        pk=notification.context["call_id"]
    )
    method = "CANCEL" if notification.kind == NotificationKind.CALL_CANCELLED else "REQUEST"
    return EmailExtras(
        context={
            "call": call,
            "call_time_zone": _time_zone(notification.recipient.time_zone),
            "is_update": call.sequence > 0,
        },
        attachments=[
            (
                "invite.ics" if method == "REQUEST" else "cancel.ics",
                call_ics(call=call, method=method),
                f"text/calendar; method={method}; charset=UTF-8",
            )
        ],
    )
