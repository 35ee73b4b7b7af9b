"""Every CSV export writes its times in the requesting user's time zone, with the offset, as
the pages and the API show them: a manager in Madrid got `+00:00` times an hour off the page's."""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from breaches import services as breach_services
from helpdesk.csv_export import csv_cell, csv_response
from tests.factories import TicketFactory
from tests.sla.test_forecast import add_clock
from tickets.models import Status

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Madrid (CET, +01:00)
MADRID = "2026-03-02T10:00:00+01:00"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _in_madrid(user):
    user.time_zone = "Europe/Madrid"
    user.save(update_fields=["time_zone"])
    return user


def _rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode()
    header, *rows = list(csv.reader(io.StringIO(body)))
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_a_cell_is_written_in_the_zone_given_or_the_current_one():
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert csv_cell(moment, ZoneInfo("Europe/Madrid")) == MADRID
    with timezone.override(ZoneInfo("America/New_York")):
        assert csv_cell(moment) == "2026-03-02T04:00:00-05:00"


def test_a_streamed_export_keeps_the_zone_of_the_request_after_the_view_returned():
    with timezone.override(ZoneInfo("Europe/Madrid")):
        response = csv_response(filename="x.csv", header=["at"], rows=iter([[NOW]]))
    # The body is written afterwards, once the middleware has deactivated the zone.
    assert b"".join(response.streaming_content).decode().splitlines()[1] == MADRID


def test_the_dashboard_export_is_in_the_managers_zone(client, manager):
    TicketFactory(status=Status.NEW)
    client.force_login(_in_madrid(manager))

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):  # the period ends now
        response = client.get(reverse("reports:export"), {"figure": "created", "period": "7d"})

    assert [row["created_at"] for row in _rows(response)] == [MADRID]


def test_the_breach_forecast_export_is_in_the_users_zone(client, manager):
    add_clock(TicketFactory(status=Status.IN_DIAGNOSIS), due_in=timedelta(hours=1), now=NOW)
    client.force_login(_in_madrid(manager))

    response = client.get(reverse("sla:forecast_csv"))

    assert [row["due_at"] for row in _rows(response)] == ["2026-03-02T11:00:00+01:00"]


def test_the_breach_register_export_is_in_the_officers_zone(client, security_officer):
    breach_services.breach_create(actor=security_officer, title="Lost laptop", aware_at=NOW)
    client.force_login(_in_madrid(security_officer))

    response = client.get("/breaches/register.csv")

    (row,) = _rows(response)
    assert row["became aware at"] == MADRID
    assert row["notify the authority by"] == "2026-03-05T10:00:00+01:00"  # 72 h later


def test_the_file_names_give_the_local_days_and_time(client, manager):
    client.force_login(_in_madrid(manager))
    # 23:30 UTC is 00:30 on the 3rd in Madrid; a custom range ends at midnight after its last day.
    with time_machine.travel(datetime(2026, 3, 2, 23, 30, tzinfo=UTC), tick=False):
        custom = client.get(
            reverse("reports:export"),
            {"figure": "created", "period": "custom", "start": "2026-03-01", "end": "2026-03-02"},
        )
        recent = client.get(reverse("reports:export"), {"figure": "created", "period": "7d"})
        forecast = client.get(reverse("sla:forecast_csv"))

    assert 'filename="created-20260301-20260302.csv"' in custom["Content-Disposition"]
    assert 'filename="created-20260224-20260303.csv"' in recent["Content-Disposition"]
    assert "breach-forecast-4h-202603030030.csv" in forecast["Content-Disposition"]
