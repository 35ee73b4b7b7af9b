"""Issue 16, item 9: one date format per language, the same in lists and detail pages, with
the relative time on screen and the exact time on hover (`{{ value|when }}`)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import translation
from django.utils.formats import date_format

from helpdesk.templatetags.dates import relative, when

pytestmark = pytest.mark.django_db

CREATED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
NOW = CREATED + timedelta(hours=3, minutes=10)
TIME = re.compile(r'<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>')


@pytest.mark.parametrize(
    ("delta", "en", "es"),
    [
        (timedelta(seconds=20), "just now", "ahora mismo"),
        (timedelta(minutes=5), "5 min ago", "hace 5 min"),
        (timedelta(hours=3, minutes=10), "3 h ago", "hace 3 h"),
        (timedelta(days=1), "1 day ago", "hace 1 día"),
        (timedelta(days=3), "3 days ago", "hace 3 días"),
        (timedelta(days=65), "2 months ago", "hace 2 meses"),
        (timedelta(days=800), "2 years ago", "hace 2 años"),
        (-timedelta(hours=2), "in 2 h", "dentro de 2 h"),
    ],
)
def test_relative_time_in_both_languages(delta, en, es):
    with translation.override("en"):
        assert relative(NOW - delta, now=NOW) == en
    with translation.override("es"):
        assert relative(NOW - delta, now=NOW) == es


def test_one_format_per_language_for_short_and_long_dates():
    with translation.override("en"):
        assert date_format(CREATED, "DATETIME_FORMAT") == "2 Mar 2026, 12:00"
        assert date_format(CREATED, "SHORT_DATETIME_FORMAT") == "2 Mar 2026, 12:00"
    with translation.override("es"):
        assert date_format(CREATED, "DATETIME_FORMAT") == "2 mar 2026, 12:00"
        assert date_format(CREATED, "SHORT_DATETIME_FORMAT") == "2 mar 2026, 12:00"


def test_the_filter_gives_the_exact_time_on_hover():
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        html = str(when(CREATED))
    assert html == (
        '<time datetime="2026-03-02T12:00:00+00:00" title="2 Mar 2026, 12:00">3 h ago</time>'
    )
    assert when(None) == "—"


@pytest.mark.parametrize("language", ["en", "es"])
def test_lists_and_detail_pages_show_dates_alike(language, requester, agent_l1, make_ticket):
    with time_machine.travel(CREATED, tick=False):
        ticket = make_ticket()
    for user in (requester, agent_l1):
        user.language = language
        user.save(update_fields=["language"])
    pages = {
        "requester list": (requester, "/my/"),
        "requester detail": (requester, f"/tickets/{ticket.pk}/"),
        "console": (agent_l1, "/console/?status=all"),
        "agent detail": (agent_l1, f"/tickets/{ticket.pk}/"),
    }
    seen = {}
    with time_machine.travel(NOW, tick=False):
        for name, (user, url) in pages.items():
            client = Client()
            client.force_login(user)
            html = client.get(url).content.decode()
            created = [m for m in TIME.findall(html) if m[0] == "2026-03-02T12:00:00+00:00"]
            assert created, name
            seen[name] = {(title, text) for _iso, title, text in created}
    exact = "2 Mar 2026, 12:00" if language == "en" else "2 mar 2026, 12:00"
    ago = "3 h ago" if language == "en" else "hace 3 h"
    for name, shown in seen.items():
        assert shown == {(exact, ago)}, name
