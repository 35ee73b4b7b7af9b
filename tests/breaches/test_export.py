"""The export of one breach (AEPD fields, Spanish and English) and the register as CSV."""

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine

from breaches import services

pytestmark = pytest.mark.django_db

AWARE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def documented(security_officer):
    with time_machine.travel(datetime(2026, 3, 4, tzinfo=UTC), tick=False):
        breach = services.breach_create(
            actor=security_officer, title='=HYPERLINK("x")', aware_at=AWARE
        )
        services.breach_update(
            breach=breach,
            actor=security_officer,
            is_confidentiality=True,
            description="Export attached to the wrong reply",
            subjects_approx=1200,
            records_approx=3400,
            dpo_contact="dpo@example.com",
            risk_level="risk",
        )
        services.breach_notify_authority(
            breach=breach,
            actor=security_officer,
            notified_at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
            reference="AEPD-REF-42",
        )
    return breach


@pytest.mark.parametrize(("lang", "month", "yes"), [("es", "marzo", "sí"), ("en", "March", "yes")])
def test_export_in_both_languages(documented, security_officer, client, lang, month, yes):
    client.force_login(security_officer)

    response = client.get(f"/breaches/{documented.pk}/export/?lang={lang}")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in html
    assert f"2 {month} 2026 09:00" in html  # became aware, in the export's language
    assert yes in html  # the confidentiality breach
    for value in ("AEPD-REF-42", "dpo@example.com", "1200", "3400", "Export attached"):
        assert value in html
    assert "breaches/export.css" in html  # the print styles (a file: the CSP forbids inline)


def test_export_language_falls_back_to_the_users(documented, security_officer, client):
    security_officer.language = "es"
    security_officer.save()
    client.force_login(security_officer)

    html = client.get(f"/breaches/{documented.pk}/export/?lang=xx").content.decode()

    assert '<html lang="es">' in html


def test_register_csv(documented, security_officer, manager, client):
    services.breach_create(actor=security_officer, title="Second")
    client.force_login(manager)

    response = client.get("/breaches/register.csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["reference", "title", "status"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["reference"] == documented.reference
    assert first["title"] == '\'=HYPERLINK("x")'  # never a live formula
    assert first["first notified at"] == "2026-03-03T09:00:00+00:00"
    assert first["late"] == "no"
    assert first["approximate number of people affected"] == "1200"
    assert len(rows) == 3
