"""The outbox and the bell in the admin: read, retried or deleted there, never written."""

import pytest

from notifications.models import InAppNotification, Notification
from tickets.models import Status

pytestmark = pytest.mark.django_db


def test_notifications_are_not_added_there(manager_admin_client):
    for model in ("notification", "inappnotification"):
        assert manager_admin_client.get(f"/admin/notifications/{model}/add/").status_code == 403


def test_an_emails_recipient_and_status_are_not_changed_there(
    manager_admin_client, make_ticket, requester, other_requester
):
    """A recipient changed there got someone else's ticket; a sent row set back to pending was
    sent twice."""
    make_ticket(Status.NEW)
    email = Notification.objects.get(recipient=requester)
    url = f"/admin/notifications/notification/{email.pk}/change/"

    response = manager_admin_client.post(
        url, {"recipient": other_requester.pk, "status": "pending", "context": "{}"}
    )

    assert response.status_code == 302
    email.refresh_from_db()
    assert email.recipient_id == requester.pk
    assert not InAppNotification.objects.filter(recipient=other_requester).exists()
