"""Issue 16, item 8: Spanish words agree with what they qualify (pgettext contexts).

Every SLA metric is feminine (la primera respuesta, la resolución): "vencida", "cumplida";
the time left is plural-aware ("7 h 55 min restantes"); impact is masculine (el impacto alto)
and urgency feminine (la urgencia alta), as the triage form's help text says.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from escalation.forms import CallForm
from sla.templatetags.sla import sla_left
from tickets import services
from tickets.forms import TriageForm
from tickets.models import Level, Status

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def p2_ticket(requester, agent_l1, category):
    """P2 (impact high × urgency medium): first response 1 h, resolution 8 h."""
    with time_machine.travel(START, tick=False):
        ticket = services.ticket_create(
            requester=requester, title="VPN", description="Down.", urgency=Level.MEDIUM
        )
        return services.ticket_triage(
            ticket=ticket,
            actor=agent_l1,
            kind="incident",
            category=category,
            impact=Level.HIGH,
            urgency=Level.MEDIUM,
        )


def _page_in_spanish(agent, ticket, at):
    agent.language = "es"
    agent.save(update_fields=["language"])
    client = Client()
    client.force_login(agent)
    with time_machine.travel(at, tick=False):
        return client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_spanish_sla_badges_agree_and_count_what_is_left(agent_l1, p2_ticket):
    # 09:05: first response due at 10:00, resolution at 17:00.
    html = _page_in_spanish(agent_l1, p2_ticket, START + timedelta(minutes=5))
    assert "7 h 55 min restantes" in html
    assert "55 min 00 s restantes" in html
    assert "restante<" not in html  # never the singular with a plural amount
    # 10:05: the first response is overdue, in the feminine of "la primera respuesta".
    html = _page_in_spanish(agent_l1, p2_ticket, START + timedelta(hours=1, minutes=5))
    assert "Primera respuesta" in html
    assert ">vencida<" in html and "vencido" not in html
    # The countdown script ticks with the same words.
    assert 'data-sla-overdue="vencida"' in html
    assert 'data-sla-left-other="%(time)s restantes"' in html
    assert 'data-sla-left-one="%(time)s restante"' in html


def test_spanish_badges_of_stopped_clocks(agent_l1, p2_ticket):
    services.comment_create(ticket=p2_ticket, actor=agent_l1, body="Mirando.")  # FR met
    services.ticket_cancel(ticket=p2_ticket, actor=agent_l1, code="duplicate")
    with translation.override("es"):
        html = render_to_string(
            "sla/_clocks.html",
            {
                "clocks": [
                    {"metric": "first_response", "cycle": 1, "state": "met"},
                    {"metric": "resolution", "cycle": 1, "state": "cancelled"},
                    {"metric": "next_response", "cycle": 1, "state": "breached", "due_at": START},
                ]
            },
        )
    assert "cumplida" in html and "cancelada" in html and "incumplida (vencía el" in html
    assert "cumplido" not in html and "cancelado" not in html


def test_the_time_left_is_plural_aware():
    with translation.override("es"):
        assert sla_left(7 * 3600 + 55 * 60) == "7 h 55 min restantes"
        assert sla_left(1) == "0 min 01 s restante"
        assert sla_left(2 * 86400 + 3 * 3600) == "2 d 3 h restantes"
    with translation.override("en"):
        assert sla_left(7 * 3600 + 55 * 60) == "7 h 55 min left"


def test_impact_and_urgency_labels_agree_with_their_nouns(agent_l1, p2_ticket):
    html = _page_in_spanish(agent_l1, p2_ticket, START + timedelta(minutes=5))
    assert "<dt>Impacto</dt><dd>Alto</dd>" in html
    assert "<dt>Urgencia</dt><dd>Media</dd>" in html
    with translation.override("es"):
        form = TriageForm()
        impact = [str(label) for _value, label in form.fields["impact"].choices]
        urgency = [str(label) for _value, label in form.fields["urgency"].choices]
        help_text = str(form.fields["impact"].help_text)
    assert impact == ["Alto", "Medio", "Bajo"]
    assert urgency == ["Alta", "Media", "Baja"]
    assert all(word in help_text for word in impact)


def test_spanish_ticket_history_names_the_levels_with_agreement(agent_l1, p2_ticket):
    html = _page_in_spanish(agent_l1, p2_ticket, START + timedelta(minutes=5))
    assert p2_ticket.status == Status.PRIORITIZED
    assert "impacto: <bdi>Bajo</bdi> → <strong><bdi>Alto</bdi></strong>" in html  # el impacto


def test_a_calls_medium_is_medio_while_a_medium_urgency_is_media():
    with translation.override("es"):
        assert str(CallForm().fields["medium"].label) == "Medio"
        assert str(Level.MEDIUM.label) == "Media"
