"""One word for one thing in Spanish: an incident is an "incidencia" (the status page, the
incident pages, the emails). The status page's banner said "1 incidente en curso" above
"Incidencias actuales", and the chat events and messages "Incidente grave declarado"."""

import re
from datetime import timedelta
from pathlib import Path

from django.test import Client
from django.utils import timezone

from incidents import services
from tests.i18n.test_spanish_register import translations
from tickets import services as ticket_services
from tickets.models import Level, Status

INCIDENTE = re.compile(r"\bincidentes?\b", re.IGNORECASE)


def test_an_incident_is_always_an_incidencia():
    assert [text for text in translations() if INCIDENTE.search(text)] == []


def test_the_docs_spanish_says_incidencia_too():
    """docs/chat.md's and docs/ola.md's Spanish guides said "incidente grave" and "un incidente
    P3"."""
    root = Path(__file__).resolve().parents[2]
    found = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted([root / "README.md", *(root / "docs").glob("*.md")])
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if INCIDENTE.search(line)
    ]
    assert found == []


def test_the_status_banner_counts_incidencias(db, make_ticket, agent_l1):
    ticket = ticket_services.ticket_update(
        ticket=make_ticket(Status.IN_DIAGNOSIS),
        actor=agent_l1,
        impact=Level.HIGH,
        urgency=Level.HIGH,
        reason="Outage",
    )
    services.major_incident_declare(
        ticket=ticket,
        actor=agent_l1,
        public_title="Email is slow",
        message="Investigating.",
        next_update_due_at=timezone.now() + timedelta(hours=1),
    )

    page = Client().get("/status/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "1 incidencia en curso" in page
