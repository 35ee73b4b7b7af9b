from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from tickets import services as ticket_services
from tickets.models import Level, Status


@pytest.fixture
def p1_ticket(make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS, title="DB primary down (internal: host db-7)")
    return ticket_services.ticket_update(
        ticket=ticket, actor=agent_l1, impact=Level.HIGH, urgency=Level.HIGH, reason="Outage"
    )


@pytest.fixture
def incident(p1_ticket, agent_l1):
    return services.major_incident_declare(
        ticket=p1_ticket,
        actor=agent_l1,
        public_title="Email delivery is delayed",
        public_title_es="El correo llega con retraso",
        affected_services="Email, Calendar",
        message="We are investigating delays.",
        message_es="Estamos investigando los retrasos.",
        next_update_due_at=timezone.now() + timedelta(minutes=30),
    )
