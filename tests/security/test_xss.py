"""Hostile markup in every user-written field is escaped on every page and in every email.

The corpus goes in through the real entry points (services, the email intake, the monitoring
intake); then every page that shows it, and every HTML email it caused, must contain none of the
payloads verbatim.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from escalation.services import call_schedule
from incidents import services as incident_services
from integrations import services as integration_services
from integrations.models import IntegrationKind
from mailin.services import inbound_process
from notifications.models import Notification
from notifications.services import notification_deliver
from tests.mailin.messages import build
from tickets import services
from tickets.models import Level, Status, Ticket

pytestmark = pytest.mark.django_db

PAYLOADS = (
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(2)>",
    "<iframe src=javascript:alert(3)>",
    '\'><a href="javascript:alert(4)">x</a>',
    "{{ 7*7 }}{% debug %}",  # text, never a template: it must simply not crash a page
)
DANGEROUS = (
    "<script>alert",
    "<img src=x onerror",
    "<svg/onload",
    "<iframe src=javascript",
    'href="javascript:',
)
EVIL = " | ".join(PAYLOADS)


def _assert_clean(where: str, html: str) -> None:
    found = [needle for needle in DANGEROUS if needle in html]
    assert not found, f"{where} shows {found} unescaped"


@pytest.fixture
def hostile(make_ticket, requester, agent_l1, agent_l2, category):
    requester.display_name = f"Eve {EVIL}"[:150]
    requester.save()
    ticket = make_ticket(Status.IN_DIAGNOSIS, title=f"T {EVIL}"[:200])
    Ticket.objects.filter(pk=ticket.pk).update(description=f"D {EVIL}", affected=f"A {EVIL}")
    services.comment_create(ticket=ticket, actor=requester, body=f"Reply {EVIL}")
    services.comment_create(ticket=ticket, actor=agent_l1, body=f"Public {EVIL}")
    services.comment_create(ticket=ticket, actor=agent_l1, body=f"Note {EVIL}", is_internal=True)
    services.ticket_escalate(ticket=ticket, actor=agent_l1, reason=f"Why {EVIL}")
    ticket = services.ticket_take(ticket=ticket, actor=agent_l2)
    call_schedule(
        ticket=ticket,
        actor=agent_l2,
        starts_at=timezone.now() + timedelta(days=1),
        duration_minutes=30,
        medium="video",
        link_or_number="https://meet.example.com/x",
        notes=f"Call {EVIL}",
    )
    major = make_ticket(Status.IN_DIAGNOSIS, title="Outage")
    major = services.ticket_update(
        ticket=major, actor=agent_l1, impact=Level.HIGH, urgency=Level.HIGH, reason=EVIL
    )
    incident = incident_services.major_incident_declare(
        ticket=major,
        actor=agent_l1,
        public_title=f"Status {EVIL}"[:200],
        message=f"Message {EVIL}",
        affected_services=EVIL[:200],
        next_update_due_at=timezone.now() + timedelta(minutes=30),
    )
    incident_services.major_incident_link(incident=incident, ticket=ticket, actor=agent_l1)
    # Email to ticket: the subject and body are the sender's.
    inbound_process(raw=build(sender="Mallory <mallory@example.org>", subject=EVIL, body=EVIL))
    # Monitoring: annotations and labels are whatever the alert rule author wrote.
    integration, _token = integration_services.integration_create(
        name="Prometheus", kind=IntegrationKind.ALERTMANAGER, default_category=category
    )
    integration_services.alertmanager_delivery_process(
        integration=integration,
        alerts=[
            integration_services.AlertNotice(
                fingerprint="f1",
                status="firing",
                starts_at=timezone.now(),
                labels={"alertname": EVIL[:100], "severity": "critical"},
                annotations={"summary": EVIL, "description": EVIL},
                generator_url="javascript:alert(5)",
            )
        ],
    )
    return ticket, incident


def test_every_page_escapes_the_corpus(hostile, requester, agent_l1, agent_l2, manager):
    ticket, incident = hostile
    pages = {
        requester: [f"/tickets/{ticket.pk}/", "/my/"],
        agent_l2: [f"/tickets/{ticket.pk}/", "/console/?queue=l2", f"/incidents/{incident.pk}/"],
        agent_l1: ["/console/", "/console/?queue=all", "/incidents/"],
        manager: ["/notifications/templates/"],
    }
    for user, urls in pages.items():
        client = Client()
        client.force_login(user)
        for url in urls + [f"/tickets/{t}/" for t in Ticket.objects.values_list("pk", flat=True)]:
            response = client.get(url)
            if response.status_code == 404:
                continue  # not theirs
            assert response.status_code == 200, url
            _assert_clean(f"{user.username} {url}", response.content.decode())
    anonymous = Client()
    for url in (f"/t/{ticket.tracking_token}/", "/status/", "/status/feed/rss/"):
        response = anonymous.get(url)
        assert response.status_code == 200, url
        _assert_clean(url, response.content.decode())


def test_every_email_escapes_the_corpus(hostile):
    mail.outbox.clear()
    for notification_id in Notification.objects.values_list("pk", flat=True):
        notification_deliver(notification_id=notification_id)
    assert len(mail.outbox) >= 5  # acknowledgements, replies, the call, the incident, …
    for message in mail.outbox:
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                _assert_clean(f"email {message.subject!r}", str(content))
        assert "\n" not in message.subject and "\r" not in message.subject  # no header injection
