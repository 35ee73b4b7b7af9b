"""Issue 16, item 7: links in emails and what `make run` prints follow the configured address
(HELPDESK_BASE_URL, by default http://HOST:PORT), never a hard-coded :8000."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command

from helpdesk.env import base_url_from_env
from notifications.models import Notification, NotificationKind
from notifications.services import notification_deliver
from tickets import services

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("HELPDESK_BASE_URL", "HELPDESK_SITE_URL", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_base_url_defaults_from_host_and_port(clean_env):
    assert base_url_from_env() == "http://127.0.0.1:8000"
    clean_env.setenv("PORT", "8101")
    assert base_url_from_env() == "http://127.0.0.1:8101"
    clean_env.setenv("HOST", "0.0.0.0")  # noqa: S104
    assert base_url_from_env() == "http://localhost:8101"
    clean_env.setenv("HOST", "::1")
    assert base_url_from_env() == "http://[::1]:8101"


def test_an_explicit_base_url_wins_and_the_old_name_still_works(clean_env):
    clean_env.setenv("PORT", "8101")
    clean_env.setenv("HELPDESK_SITE_URL", "https://old.example.com")
    assert base_url_from_env() == "https://old.example.com"
    clean_env.setenv("HELPDESK_BASE_URL", "https://help.example.com/")
    assert base_url_from_env() == "https://help.example.com"


def test_the_settings_module_reads_port_from_the_environment():
    """A fresh interpreter, as `PORT=8101 make run` starts one."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HELPDESK_BASE_URL", "HELPDESK_SITE_URL", "HOST")
    }
    env.update(PORT="8101", DJANGO_SETTINGS_MODULE="helpdesk.settings")
    code = "from django.conf import settings; print(settings.HELPDESK_BASE_URL, settings.SITE_URL)"
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["http://127.0.0.1:8101", "http://127.0.0.1:8101"]


@pytest.mark.django_db
def test_emails_link_to_the_configured_port(settings, clean_env, requester):
    clean_env.setenv("PORT", "8101")
    settings.HELPDESK_BASE_URL = settings.SITE_URL = base_url_from_env()
    ticket = services.ticket_create(requester=requester, title="Printer", description="d")

    notification = Notification.objects.get(
        kind=NotificationKind.TICKET_CREATED, recipient=requester
    )
    assert notification_deliver(notification_id=notification.pk) is True

    body = mail.outbox[-1].body
    assert f"http://127.0.0.1:8101/t/{ticket.tracking_token}/" in body
    assert ":8000" not in body


@pytest.mark.django_db
def test_the_demo_prints_where_to_sign_in(settings, capsys):
    settings.HELPDESK_BASE_URL = "http://127.0.0.1:8101"
    call_command("seed_demo", tickets=0)
    out = capsys.readouterr().out
    assert "Sign in at http://127.0.0.1:8101/ as:" in out
    assert ":8000" not in out
