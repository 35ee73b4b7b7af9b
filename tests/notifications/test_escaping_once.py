"""User text in emails is escaped exactly once: as it was typed in the text part, escaped once in
the HTML part (it came out as `&amp;quot;`, the text part as `&quot;`)."""

import pytest
from django.core import mail

from notifications.models import Notification
from notifications.services import notification_deliver
from tickets import services

pytestmark = pytest.mark.django_db

TYPED = 'He said "it\'s <broken>" & left'


def test_user_text_is_escaped_once_in_html_and_never_in_text(make_ticket, agent_l1):
    ticket = make_ticket(title='Printer "HP" & <scanner>')
    services.comment_create(ticket=ticket, actor=agent_l1, body=TYPED)
    mail.outbox.clear()
    for notification_id in Notification.objects.values_list("pk", flat=True):
        notification_deliver(notification_id=notification_id)
    reply = next(m for m in mail.outbox if TYPED in m.body)
    assert "&quot;" not in reply.body and "&amp;" not in reply.body and "&lt;" not in reply.body
    (html, mimetype), *_rest = reply.alternatives
    assert mimetype == "text/html"
    assert "He said &quot;it&#x27;s &lt;broken&gt;&quot; &amp; left" in html
    for twice in ("&amp;quot;", "&amp;amp;", "&amp;lt;", "&amp;gt;", "&amp;#x27;"):
        assert twice not in str(html)
    for message in mail.outbox:
        assert "&amp;" not in message.body and "&quot;" not in message.body, message.subject
