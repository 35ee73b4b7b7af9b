"""A display name or a title holding a Unicode bidi control (an unclosed right-to-left override,
U+202E) reversed the text after it on the same line: "Ana ‮ Open · 4 Dec" read backwards in
the lists. Every such value on the managers' and officers' pages sits in its own isolate (a
`<bdi>`, or an element with `dir`), which ends the override with the value."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from breaches import services as breach_services
from csat import services as csat_services
from kb import services as kb_services
from tests.sla.test_forecast import add_clock
from tests.sla.test_forecast import ticket as forecast_ticket
from tickets.models import Status

pytestmark = pytest.mark.django_db

OVERRIDE = "\u202e"
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
# Text that is no line of the page's text: a value inside these cannot reverse its neighbours.
OPAQUE = {"title", "textarea", "option", "script", "style", "template"}


class _Leaks(HTMLParser):
    """Each text with a bidi control whose innermost element does not isolate it."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.leaks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            isolates = tag == "bdi" or any(name == "dir" for name, _value in attrs)
            self.stack.append((tag, isolates))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if not BIDI_CONTROLS & set(data):
            return
        tag, isolates = self.stack[-1] if self.stack else ("", False)
        if not isolates and tag not in OPAQUE:
            path = " > ".join(name for name, _ in self.stack[-4:])
            self.leaks.append(f"{path}: {data.strip()[:60]!r}")


def leaks(html: str) -> list[str]:
    parser = _Leaks()
    parser.feed(html)
    return parser.leaks


def test_the_checker_finds_a_bare_override_and_accepts_an_isolated_one():
    assert leaks(f"<td>Ana{OVERRIDE} <span>x</span></td>")
    assert not leaks(f"<td><bdi>Ana{OVERRIDE}</bdi> <span>x</span></td>")
    assert not leaks(f'<a dir="auto">Ana{OVERRIDE}</a>')


@pytest.fixture
def hostile(make_ticket, agent_l1, manager, security_officer):
    """An agent and a ticket whose name and title carry an unclosed override, in every list."""
    agent_l1.display_name = f"Ana {OVERRIDE}Gómez"
    agent_l1.save(update_fields=["display_name"])
    closed = make_ticket(Status.CLOSED, title=f"VPN {OVERRIDE}down since 9")
    csat_services.survey_answer(survey=closed.csat_survey, rating=2)
    open_ticket = make_ticket(Status.ON_HOLD, title=f"Mail {OVERRIDE}bounces")  # agent_l1's
    at_risk = forecast_ticket(title=f"Disk {OVERRIDE}full", assignee=agent_l1)
    add_clock(at_risk, due_in=timedelta(hours=1), now=timezone.now())  # at risk, forecast
    breach = breach_services.breach_flag_ticket(
        ticket=open_ticket, actor=agent_l1, description="Invoice sent to the wrong customer."
    )
    article = kb_services.article_create(
        actor=agent_l1, title=f"Reset {OVERRIDE}the VPN", body="Restart it.", language="en"
    )
    return {"breach": breach, "article": article, "agent": agent_l1}


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("security_officer", "/breaches/"),
        ("security_officer", "/breaches/{breach}/"),
        ("manager", "/reports/sla/"),
        ("manager", "/reports/queues/?agent={agent}"),
        ("manager", "/csat/"),
        ("manager", "/sla/forecast/"),
        ("agent_l1", "/kb/"),
        ("agent_l1", "/kb/{article}/"),
        ("agent_l1", "/reports/queues/"),
    ],
)
def test_a_bidi_override_in_a_name_or_title_stays_inside_its_own_value(
    client, request, hostile, persona, path
):
    client.force_login(request.getfixturevalue(persona))
    url = path.format(
        breach=hostile["breach"].pk, article=hostile["article"].pk, agent=hostile["agent"].pk
    )

    response = client.get(url)

    assert response.status_code == 200, url
    html = response.content.decode()
    assert OVERRIDE in html, url  # the page shows the hostile value
    assert not leaks(html), "\n".join([url, *leaks(html)])
