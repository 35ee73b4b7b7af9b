"""What the major-incident emails show (registered with the outbox in IncidentsConfig.ready)."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import IncidentStatus, StatusUpdate
from notifications.models import Notification


def status_update_context(notification: Notification) -> dict[str, Any]:
    update_id = notification.context.get("status_update_id")
    update = (
        StatusUpdate.objects.select_related("major_incident").filter(pk=update_id).first()
        if update_id
        else None
    )
    if update is None:
        return {}
    incident = update.major_incident
    return {
        "incident_title": incident.title,
        "update_status": update.get_status_display(),
        "update_message": update.text,
        "next_update_due_at": update.next_update_due_at,
        "status_page_url": settings.SITE_URL + reverse("status_page"),
        "incident_url": settings.SITE_URL + reverse("major_incident_detail", args=[incident.pk]),
    }


def sample_context() -> dict[str, Any]:
    return {
        "incident_title": _("Email delivery is delayed"),
        "update_status": IncidentStatus.IDENTIFIED.label,
        "update_message": _("We found the cause and are deploying a fix."),
        "next_update_due_at": timezone.now() + timedelta(minutes=30),
        "status_page_url": settings.SITE_URL + "/status/",
        "incident_url": settings.SITE_URL + "/incidents/1/",
    }
