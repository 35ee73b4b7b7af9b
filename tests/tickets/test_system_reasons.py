"""The SLA and OLA sweeps write their timeline reasons once, in English with UTC times: the
ticket page shows them in the reader's language and time zone (a Spanish agent read
"First response target breached (cycle 1): it was due at … UTC." among Spanish events)."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from ola.sweep import TAKE_BREACH_TEXT
from sla.sweep import BREACH_TEXT, WARNING_TEXT
from tickets.models import EventKind, Status, TicketEvent
from tickets.system_reasons import system_reason_display

pytestmark = pytest.mark.django_db

DUE = datetime(2026, 12, 4, 10, 13, tzinfo=UTC)


def _english(text: str, **values) -> str:
    with translation.override("en"):
        return translation.gettext(text) % values


def test_the_page_shows_the_sweeps_words_in_the_readers_language_and_time_zone(
    client_for, agent_l1, make_ticket
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    agent_l1.language, agent_l1.time_zone = "es", "Europe/Madrid"
    agent_l1.save(update_fields=["language", "time_zone"])
    for text, values in (
        (BREACH_TEXT, {"metric": "First response", "cycle": 1}),
        (WARNING_TEXT, {"metric": "Resolution", "cycle": 1, "percent": "75"}),
        (TAKE_BREACH_TEXT, {"tier": "L1 service desk"}),
    ):
        TicketEvent.objects.create(
            ticket=ticket,
            actor=None,
            kind=EventKind.SLA,
            reason=_english(text, due="2026-12-04 10:13 UTC", **values),
            reason_is_internal=True,
        )
    page = client_for(agent_l1).get(f"/tickets/{ticket.pk}/").content.decode()
    breach = "Primera respuesta: objetivo incumplido (ciclo 1); vencía el 2026-12-04 11:13 CET."
    assert breach in page
    assert "it was due at" not in page and "of the target used" not in page
    assert "OLA incumplido: L1 centro de servicio no asumió el ticket" in page


def test_a_persons_words_and_unknown_texts_are_shown_as_written():
    assert system_reason_display("Needs L2 diagnosis.") == "Needs L2 diagnosis."
    odd = _english(BREACH_TEXT, metric="Nonsense", cycle=1, due="2026-12-04 10:13 UTC")
    assert system_reason_display(odd) == odd
    bad_time = _english(BREACH_TEXT, metric="Resolution", cycle=1, due="yesterday")
    assert system_reason_display(bad_time) == bad_time
