"""The countdown markup drawn in Python (sla.templatetags.sla.sla_clock): what
static/sla/countdown.js reads, the words of each state in both languages, the OLA variant."""

from datetime import UTC, datetime, timedelta

from django.template.loader import render_to_string
from django.utils import translation

from sla.templatetags.sla import sla_clock, sla_clock_list

DUE = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def _running(**overrides):
    return {
        "metric": "first_response",
        "cycle": 1,
        "state": "running",
        "due_at": DUE,
        "at_risk_at": DUE - timedelta(minutes=15),
        "remaining_seconds": 3300,
        "breached": False,
        "at_risk": False,
        **overrides,
    }


def test_a_running_clock_carries_what_the_countdown_ticks_with():
    with translation.override("en"):
        html = sla_clock(_running(at_risk=True))
    assert 'class="sla-clock sla-running sla-amber"' in html
    assert 'data-sla-state="running"' in html
    assert 'data-sla-due="2026-03-02T17:00:00+00:00"' in html
    assert 'data-sla-at-risk="2026-03-02T16:45:00+00:00"' in html
    assert 'data-sla-remaining="3300"' in html
    assert '<time class="sla-countdown" datetime="2026-03-02T17:00:00+00:00"' in html
    assert ">55 min 00 s left</time>" in html
    assert "data-ola-metric" not in html


def test_states_in_spanish_agree_with_the_feminine_metric():
    clocks = [
        _running(breached=True, remaining_seconds=-5, cycle=2),
        _running(state="paused", breached=True),
        {"metric": "resolution", "cycle": 1, "state": "met"},
        {"metric": "resolution", "cycle": 1, "state": "cancelled"},
        {"metric": "next_response", "cycle": 1, "state": "breached", "due_at": DUE},
    ]
    with translation.override("es"):
        html = sla_clock_list(clocks)
    assert html.startswith('<ul class="sla-clocks" aria-label="Nivel de servicio"')
    assert 'data-sla-overdue="vencida"' in html
    assert "Primera respuesta #2" in html
    assert 'class="sla-clock sla-running sla-red"' in html and ">vencida</time>" in html
    assert "en pausa · vencida" in html
    assert "cumplida" in html and "cancelada" in html and "incumplida (vencía el" in html
    assert "data-sla-remaining" not in html.split("sla-met")[1].split("</li>")[0]


def test_an_ola_clock_names_its_tier_and_metric():
    with translation.override("en"):
        html = sla_clock(_running(metric="take", tier=2))
    assert 'data-ola-metric="take"' in html
    assert '<span class="sla-metric">L2 · Take</span>' in html


def test_no_clocks_draw_nothing():
    assert sla_clock_list([]) == ""
    assert render_to_string("sla/_clocks.html", {"clocks": []}).strip() == ""
