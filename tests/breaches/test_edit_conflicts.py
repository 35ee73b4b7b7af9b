"""Two security officers editing one breach record: a field only one of them changed keeps
that change; the same field changed by both is a 409 naming the field and what the other
saved, with the later editor's typed values kept (page) or sent back (API)."""

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import translation

from accounts.models import Role
from breaches import selectors, services
from breaches.models import BreachAuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague():
    return UserFactory(username="dpo", display_name="Dana DPO", role=Role.SECURITY_OFFICER)


def _form_data(client: Client, breach_id: int) -> dict[str, str]:
    """What the edit page's form would send back untouched, as a browser sends it (times in
    minutes, as the inputs show them)."""
    page = client.get(f"/breaches/{breach_id}/edit/")
    data = {"version": str(page.context["version"])}
    for field in page.context["form"]:
        value = field.value()
        if value is False:
            continue  # an unticked box is not sent
        if value is True:
            value = "on"
        elif isinstance(value, datetime):
            value = value.strftime("%Y-%m-%dT%H:%M")
        data[field.name] = "" if value is None else str(value)
    return data


@pytest.fixture
def officer_client(client, security_officer):
    client.force_login(security_officer)
    return client


@pytest.fixture
def colleague_client(colleague):
    other = Client()
    other.force_login(colleague)
    return other


def test_same_field_changed_by_both_is_a_409_with_the_typed_values_kept(
    officer_client, colleague_client, breach
):
    mine = _form_data(officer_client, breach.pk)
    theirs = _form_data(colleague_client, breach.pk)
    theirs.update(risk_level="risk", remedial_measures="Passwords reset")
    assert colleague_client.post(f"/breaches/{breach.pk}/edit/", theirs).status_code == 302

    mine.update(risk_level="high", containment_measures="Recalled the email")
    response = officer_client.post(f"/breaches/{breach.pk}/edit/", mine)

    assert response.status_code == 409
    page = response.content.decode()
    assert "Dana DPO saved “Risk level” as “Risk” after you opened this record." in page
    assert "Nothing was saved" in page
    assert "Recalled the email" in page  # typed, kept
    form = response.context["form"]
    assert form["risk_level"].value() == "high"  # my value, ready to save again
    assert form["remedial_measures"].value() == "Passwords reset"  # theirs, not my stale one
    breach.refresh_from_db()
    assert (breach.risk_level, breach.containment_measures) == ("risk", "")
    assert breach.remedial_measures == "Passwords reset"

    # Saving the form as shown replaces their value in the one field both changed.
    again = {**mine, "version": response.context["version"], "remedial_measures": "Passwords reset"}
    assert officer_client.post(f"/breaches/{breach.pk}/edit/", again).status_code == 302
    breach.refresh_from_db()
    assert (breach.risk_level, breach.containment_measures) == ("high", "Recalled the email")
    assert breach.remedial_measures == "Passwords reset"


def test_different_fields_changed_by_each_are_both_kept(officer_client, colleague_client, breach):
    mine = _form_data(officer_client, breach.pk)
    theirs = _form_data(colleague_client, breach.pk)
    theirs.update(risk_level="risk", is_confidentiality="on")
    assert colleague_client.post(f"/breaches/{breach.pk}/edit/", theirs).status_code == 302

    mine.update(subjects_approx="40")
    response = officer_client.post(f"/breaches/{breach.pk}/edit/", mine)

    assert response.status_code == 302
    breach.refresh_from_db()
    # My stale risk level and unticked box did not undo their change.
    assert (breach.risk_level, breach.is_confidentiality, breach.subjects_approx) == (
        "risk",
        True,
        40,
    )
    assert set(BreachAuditEntry.objects.latest("id").changes) == {"subjects_approx"}


def test_the_same_value_typed_by_both_is_no_conflict(officer_client, colleague_client, breach):
    mine = _form_data(officer_client, breach.pk)
    theirs = _form_data(colleague_client, breach.pk)
    theirs.update(risk_level="high")
    colleague_client.post(f"/breaches/{breach.pk}/edit/", theirs)

    mine.update(risk_level="high")
    assert officer_client.post(f"/breaches/{breach.pk}/edit/", mine).status_code == 302


def test_the_conflict_reads_in_spanish(officer_client, colleague_client, breach, security_officer):
    security_officer.language = "es"
    security_officer.save(update_fields=["language"])
    mine = _form_data(officer_client, breach.pk)
    theirs = _form_data(colleague_client, breach.pk)
    theirs.update(risk_level="risk")
    colleague_client.post(f"/breaches/{breach.pk}/edit/", theirs)

    mine.update(risk_level="high")
    response = officer_client.post(f"/breaches/{breach.pk}/edit/", mine, HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 409
    page = response.content.decode()
    with translation.override("es"):
        label = services.field_label("risk_level")
    assert f"Dana DPO guardó «{label}» como" in page
    assert "No se guardó nada" in page


def test_an_untouched_awareness_time_keeps_its_seconds(officer_client, breach):
    """The time inputs show minutes: saving the form cut the seconds off the awareness time,
    moving the 72-hour deadline and writing a change nobody made."""
    aware_at = breach.aware_at.replace(second=37, microsecond=0)
    breach.aware_at = aware_at
    breach.notify_due_at = aware_at + timedelta(hours=72)
    breach.save(update_fields=["aware_at", "notify_due_at"])
    data = _form_data(officer_client, breach.pk)
    data.update(risk_level="high")

    assert officer_client.post(f"/breaches/{breach.pk}/edit/", data).status_code == 302

    breach.refresh_from_db()
    assert breach.aware_at == aware_at
    assert set(BreachAuditEntry.objects.latest("id").changes) == {"risk_level"}


def test_a_manager_still_cannot_edit(client_for, manager, breach):
    response = client_for(manager).post(f"/breaches/{breach.pk}/edit/", {"title": "x"})
    assert response.status_code == 403


# --- the service and the API ---------------------------------------------------------------------


def test_service_refuses_a_field_changed_since_the_version(breach, security_officer, colleague):
    version = selectors.breach_version(breach=breach)
    services.breach_update(breach=breach, actor=colleague, title="Wrong recipient")

    with pytest.raises(services.BreachChangedError) as refused:
        services.breach_update(
            breach=breach, actor=security_officer, expected_version=version, title="Lost list"
        )

    assert [c.field for c in refused.value.conflicts] == ["title"]
    assert refused.value.version == selectors.breach_version(breach=breach)
    breach.refresh_from_db()
    assert breach.title == "Wrong recipient"


def test_api_patch_with_if_match_refuses_the_same_field(api, breach, security_officer, colleague):
    mine, theirs = api(security_officer), api(colleague)
    read = mine.get(f"/api/breaches/{breach.pk}/")
    etag = read["ETag"]
    assert read.json()["version"] == int(etag.strip('"'))
    assert (
        theirs.patch(
            f"/api/breaches/{breach.pk}/", {"risk_level": "risk"}, format="json"
        ).status_code
        == 200
    )

    response = mine.patch(
        f"/api/breaches/{breach.pk}/", {"risk_level": "high"}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 409
    body = response.json()
    assert "“Risk level” as “Risk”" in body["message"]
    assert body["current"] == {"risk_level": "risk"}
    assert list(body["errors"]) == ["risk_level"]
    assert response["ETag"] == f'"{body["version"]}"'
    # A different field against the same old read goes through; their change stays.
    ok = mine.patch(
        f"/api/breaches/{breach.pk}/", {"subjects_approx": 3}, format="json", HTTP_IF_MATCH=etag
    )
    assert ok.status_code == 200
    assert (ok.json()["risk_level"], ok.json()["subjects_approx"]) == ("risk", 3)
    # Sending the new version replaces their value.
    again = mine.patch(
        f"/api/breaches/{breach.pk}/",
        {"risk_level": "high"},
        format="json",
        HTTP_IF_MATCH=ok["ETag"],
    )
    assert again.status_code == 200 and again.json()["risk_level"] == "high"


def test_api_patch_refuses_a_malformed_if_match(api, breach, security_officer):
    response = api(security_officer).patch(
        f"/api/breaches/{breach.pk}/", {"risk_level": "high"}, format="json", HTTP_IF_MATCH='"abc"'
    )
    assert response.status_code == 400 and "If-Match" in response.json()["message"]


def test_a_damaged_version_is_a_form_error_not_a_silent_overwrite(officer_client, breach):
    data = {**_form_data(officer_client, breach.pk), "version": "12abc", "risk_level": "high"}

    response = officer_client.post(f"/breaches/{breach.pk}/edit/", data)

    assert response.status_code == 400
    assert "The record&#x27;s version is not valid" in response.content.decode()
    breach.refresh_from_db()
    assert breach.risk_level == ""


# Browsers send a textarea's line breaks as "\r\n"; API clients send "\n". A multi-line text
# written through the API came back from an untouched edit form as a change.
MULTILINE = "First line\nSecond line\n\nAfter a blank line"


def _as_a_browser_sends_it(data: dict[str, str]) -> dict[str, str]:
    return {name: value.replace("\n", "\r\n") for name, value in data.items()}


def test_an_untouched_form_after_an_api_write_of_multiline_text_writes_nothing(
    api, officer_client, breach, security_officer
):
    written = api(security_officer).patch(
        f"/api/breaches/{breach.pk}/",
        {"likely_consequences": MULTILINE, "description": MULTILINE},
        format="json",
    )
    assert written.status_code == 200
    entries = BreachAuditEntry.objects.filter(breach=breach).count()

    data = _as_a_browser_sends_it(_form_data(officer_client, breach.pk))
    assert data["likely_consequences"] == MULTILINE.replace("\n", "\r\n")
    response = officer_client.post(f"/breaches/{breach.pk}/edit/", data)

    assert response.status_code == 302
    assert BreachAuditEntry.objects.filter(breach=breach).count() == entries
    breach.refresh_from_db()
    assert breach.likely_consequences == MULTILINE


def test_an_untouched_multiline_text_is_no_conflict_with_a_colleagues_change(
    api, officer_client, colleague_client, breach, security_officer
):
    api(security_officer).patch(
        f"/api/breaches/{breach.pk}/", {"likely_consequences": MULTILINE}, format="json"
    )
    mine = _as_a_browser_sends_it(_form_data(officer_client, breach.pk))
    theirs = _form_data(colleague_client, breach.pk)
    theirs.update(likely_consequences="Their\nnew text")
    assert colleague_client.post(f"/breaches/{breach.pk}/edit/", theirs).status_code == 302

    mine.update(risk_level="high")
    response = officer_client.post(f"/breaches/{breach.pk}/edit/", mine)

    assert response.status_code == 302  # not a 409 on the text I left alone
    breach.refresh_from_db()
    assert (breach.risk_level, breach.likely_consequences) == ("high", "Their\nnew text")


def test_the_api_stores_line_breaks_as_one_newline_and_an_equal_text_is_no_change(
    api, breach, security_officer
):
    client = api(security_officer)
    client.patch(f"/api/breaches/{breach.pk}/", {"remedial_measures": "a\r\nb\rc"}, format="json")
    breach.refresh_from_db()
    assert breach.remedial_measures == "a\nb\nc"
    entries = BreachAuditEntry.objects.filter(breach=breach).count()
    etag = client.get(f"/api/breaches/{breach.pk}/")["ETag"]
    same = client.patch(
        f"/api/breaches/{breach.pk}/",
        {"remedial_measures": "a\r\nb\r\nc"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert same.status_code == 200
    assert BreachAuditEntry.objects.filter(breach=breach).count() == entries


def test_a_text_saved_with_browser_line_breaks_before_is_no_change_either(
    breach, api, security_officer
):
    # A record saved by the form before line breaks were normalised keeps its "\r\n".
    type(breach).objects.filter(pk=breach.pk).update(description="x\r\ny")
    entries = BreachAuditEntry.objects.filter(breach=breach).count()
    response = api(security_officer).patch(
        f"/api/breaches/{breach.pk}/", {"description": "x\ny"}, format="json"
    )
    assert response.status_code == 200
    assert BreachAuditEntry.objects.filter(breach=breach).count() == entries
