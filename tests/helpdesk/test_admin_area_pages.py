"""The admin pages of the chat, OLA, integrations, mail intake, CSAT and major-incident apps
open for a superuser: the list, the add page (where adding is allowed) and a row's page. Their
admins listed raw-id pickers on fields they never let anyone edit (read-only rows)."""

from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from chat.models import ChatChannel, ChatDelivery, ChatEvent
from integrations.models import IntegrationKind, MonitoredAlert
from integrations.services import integration_create
from mailin.models import InboundMessage, Outcome
from tests.helpdesk.test_admin_config import raw_id_fields_never_shown
from tickets.models import Ticket

APPS = ("ola", "chat", "integrations", "mailin", "csat", "incidents")


def test_no_admin_of_these_apps_keeps_raw_id_fields_it_never_shows(db):
    assert raw_id_fields_never_shown(APPS) == {}


@pytest.fixture
def demo(db):
    """The demo's data, and a row of each kind it has none of (the intakes' and the outbox's)."""
    call_command("seed_demo", tickets=12, stdout=StringIO())
    ticket = Ticket.objects.order_by("pk").first()
    integration, _token = integration_create(
        name="Alertmanager", kind=IntegrationKind.ALERTMANAGER, default_category=ticket.category
    )
    now = timezone.now()
    MonitoredAlert.objects.create(
        integration=integration,
        fingerprint="abc123",
        starts_at=now,
        ticket=ticket,
        last_seen_at=now,
    )
    InboundMessage.objects.create(
        message_id="<a@example.org>",
        sender="someone@example.org",
        subject="Printer on fire",
        outcome=Outcome.TICKET_CREATED,
        ticket=ticket,
    )
    ChatDelivery.objects.create(
        channel=ChatChannel.objects.order_by("pk").first(),
        event=ChatEvent.TEST,
        event_key="test:admin",
        ticket=ticket,
    )


def test_every_admin_page_of_these_apps_opens(demo, admin_client, admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    opened, missing = [], []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        if meta.app_label not in APPS:
            continue
        name = f"admin:{meta.app_label}_{meta.model_name}"
        urls = [reverse(f"{name}_changelist")]
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"{name}_add"))
        row = model._default_manager.order_by("pk").first()
        if row is None:
            missing.append(meta.label)
        else:
            urls.append(reverse(f"{name}_change", args=[row.pk]))
        for url in urls:
            response = admin_client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            opened.append(url)
    assert missing == []
    assert len(opened) >= 20
