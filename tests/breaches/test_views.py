"""The HTML pages: forms call the services, rule errors come back as form errors (never a 500)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from breaches.models import AuthorityDecision, Breach, BreachAuditEntry
from tests.breaches.conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client, security_officer):
    client.force_login(security_officer)
    return client


def test_create_page_opens_a_record(officer_client, at_t0):
    response = officer_client.post("/breaches/new/", {"title": "Lost laptop"})

    breach = Breach.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/breaches/{breach.pk}/"
    assert breach.aware_at == T0


def test_create_page_refuses_a_future_awareness(officer_client, at_t0):
    response = officer_client.post("/breaches/new/", {"title": "x", "aware_at": "2030-01-01T10:00"})

    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not Breach.objects.exists()


def test_create_page_refuses_a_future_detection_and_keeps_the_title(officer_client, at_t0):
    """The edit page refused a future detection time; the create page saved it as typed."""
    response = officer_client.post(
        "/breaches/new/",
        {"title": "Lost laptop", "aware_at": "2026-03-02T08:00", "detected_at": "2026-03-20T09:00"},
    )

    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert 'value="Lost laptop"' in response.content.decode()
    assert not Breach.objects.exists()


def test_edit_page_saves_only_what_changed(officer_client, breach):
    page = officer_client.get(f"/breaches/{breach.pk}/edit/")
    form = page.context["form"]
    data = {
        name: ("" if value is None else value)
        for name, value in ((f.name, f.value()) for f in form)
        if value not in (False,)
    }
    data.update({"risk_level": "high", "subjects_approx": "40", "is_confidentiality": "on"})

    response = officer_client.post(f"/breaches/{breach.pk}/edit/", data)

    assert response.status_code == 302, response.context["form"].errors
    entry = BreachAuditEntry.objects.latest("id")
    assert set(entry.changes) == {"risk_level", "subjects_approx", "is_confidentiality"}


def test_late_notification_form_needs_the_reasons(at_t0, officer_client, breach):
    url = f"/breaches/{breach.pk}/actions/notify/"
    late = {"notified_at": "2026-03-05T17:00", "authority": "AEPD"}  # T0 + 80 h
    at_t0.move_to(T0 + timedelta(hours=81))

    response = officer_client.post(url, late)

    assert response.status_code == 400
    assert "give the reasons for the delay" in response.content.decode()
    response = officer_client.post(url, {**late, "late_reason": "Told late by the processor"})
    assert response.status_code == 302
    breach.refresh_from_db()
    assert breach.clock_stopped_at == T0 + timedelta(hours=80)


def test_notify_form_refuses_a_future_time(at_t0, officer_client, breach):
    response = officer_client.post(
        f"/breaches/{breach.pk}/actions/notify/",
        {"notified_at": "2099-01-01T00:00", "authority": "AEPD"},
    )
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not breach.authority_notifications.exists()


def test_note_and_evidence_forms(officer_client, breach):
    assert (
        officer_client.post(f"/breaches/{breach.pk}/actions/note/", {"body": "Hi"}).status_code
        == 302
    )
    response = officer_client.post(
        f"/breaches/{breach.pk}/actions/evidence/",
        {"file": SimpleUploadedFile("evil.exe", b"MZ")},
    )
    assert response.status_code == 400
    assert "are not accepted" in response.content.decode()
    response = officer_client.post(
        f"/breaches/{breach.pk}/actions/evidence/", {"file": SimpleUploadedFile("log.txt", b"x")}
    )
    assert response.status_code == 302
    assert breach.attachments.get().filename == "log.txt"


def test_not_notifying_form(officer_client, breach):
    response = officer_client.post(
        f"/breaches/{breach.pk}/actions/not_notifying/", {"reason": "Encrypted"}
    )
    assert response.status_code == 302
    breach.refresh_from_db()
    assert breach.authority_decision == AuthorityDecision.NOT_NOTIFIED


def test_link_ticket_form_takes_a_reference(officer_client, breach, make_ticket):
    other = make_ticket()
    response = officer_client.post(
        f"/breaches/{breach.pk}/actions/link_ticket/", {"ticket": other.reference}
    )
    assert response.status_code == 302
    assert breach.tickets.filter(pk=other.pk).exists()
    response = officer_client.post(
        f"/breaches/{breach.pk}/actions/link_ticket/", {"ticket": "nonsense"}
    )
    assert response.status_code == 400


def test_unknown_action_is_404(officer_client, breach):
    assert officer_client.post(f"/breaches/{breach.pk}/actions/delete/", {}).status_code == 404


def test_agent_cannot_post_actions(client, agent_l1, breach):
    client.force_login(agent_l1)
    assert client.post(f"/breaches/{breach.pk}/actions/note/", {"body": "x"}).status_code == 404
    assert not breach.notes.exists()


def test_the_create_button_says_open_as_a_verb_in_spanish(officer_client, security_officer):
    security_officer.language = "es"
    security_officer.save(update_fields=["language"])

    page = officer_client.get("/breaches/new/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert '<button class="btn primary" type="submit">Abrir</button>' in page


def test_a_second_click_on_open_does_not_open_a_second_record(officer_client, at_t0):
    """Two clicks 150 ms apart sent the form twice: two records, two 72-hour clocks."""
    page = officer_client.get("/breaches/new/").content.decode()
    assert 'name="idempotency_key"' in page
    form = {"title": "Lost laptop", "idempotency_key": "3c4e0b1e-2f49-4a55-9d0f-8a1c9b7f0c11"}

    first = officer_client.post("/breaches/new/", form)
    second = officer_client.post("/breaches/new/", form)

    breach = Breach.objects.get()
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"] == f"/breaches/{breach.pk}/"


def test_a_second_click_on_a_note_records_it_once(officer_client, breach):
    page = officer_client.get(f"/breaches/{breach.pk}/").content.decode()
    assert page.count('name="idempotency_key"') == 7  # every action form
    form = {"body": "Called the customer.", "idempotency_key": "note-0d2c1f7e"}

    officer_client.post(f"/breaches/{breach.pk}/actions/note/", form)
    officer_client.post(f"/breaches/{breach.pk}/actions/note/", form)

    assert breach.notes.filter(body="Called the customer.").count() == 1


def test_the_history_names_fields_and_values_in_the_readers_language(
    officer_client, security_officer, breach
):
    """It showed the stored keys and values: `detected_at`: — → 2026-03-02T09:00:00+00:00,
    `status`: open, on a Spanish page too."""
    security_officer.language = "es"
    security_officer.save()

    page = officer_client.get(f"/breaches/{breach.pk}/").content.decode()

    # (Each value is in its own <bdi>: a value's bidi override must not turn the arrow round.)
    history = page[page.index("<h2>Historial</h2>") :].replace("<bdi>", "").replace("</bdi>", "")
    assert "detected_at" not in history and "<code>status</code>" not in history
    assert "Fecha de detección:" in history
    assert "Estado: — → Abierto" in history


def test_a_search_by_number_finds_that_breach_and_the_titles_containing_it(security_officer, api):
    from breaches import services
    from breaches.selectors import breach_list

    named = services.breach_create(actor=security_officer, title="Lost laptop")
    titled = services.breach_create(actor=security_officer, title=f"Phishing wave {named.pk}")
    services.breach_create(actor=security_officer, title="Stolen badge")
    for typed in (str(named.pk), f"#{named.pk}", named.reference):
        found = list(breach_list(user=security_officer, search=typed).values_list("pk", flat=True))
        expected = [titled.pk, named.pk] if typed != named.reference else [named.pk]
        assert found == expected, typed
    response = api(security_officer).get("/api/breaches/", {"q": str(named.pk)})
    assert [row["id"] for row in response.json()] == [titled.pk, named.pk]


def test_a_note_typed_in_the_browser_is_stored_with_plain_line_breaks(officer_client, breach):
    url = f"/breaches/{breach.pk}/actions/note/"
    assert officer_client.post(url, {"body": "Called the DPO.\r\nNo answer."}).status_code == 302
    assert breach.notes.get().body == "Called the DPO.\nNo answer."


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"status": "opne"}, "The status filter “opne” is none of open and closed."),
        ({"staus": "open"}, "“staus” is not a filter of the breach register: it takes q"),
    ],
)
def test_a_refused_register_filter_is_said_not_applied_as_if_it_were(
    officer_client, breach, query, said
):
    """`?status=opne` (an edited link) listed every record as if they were the open ones."""
    response = officer_client.get("/breaches/", query)

    assert response.status_code == 400
    page = response.content.decode()
    assert said in page and "The whole register is shown below." in page
    assert breach.reference in page
    assert officer_client.get("/breaches/", {"status": "closed", "q": "x" * 500}).status_code == 200


def test_the_register_says_when_older_records_are_left_out(
    officer_client, security_officer, monkeypatch
):
    """Past 200 records the oldest disappeared from the page without a word."""
    from breaches import services, views

    monkeypatch.setattr(views, "REGISTER_LIMIT", 2)
    first = services.breach_create(actor=security_officer, title="Lost laptop")
    for title in ("Stolen badge", "Phishing wave"):
        services.breach_create(actor=security_officer, title=title)

    page = officer_client.get("/breaches/").content.decode()

    assert first.reference not in page and "Phishing wave" in page
    assert "The 2 latest records are shown: search or filter to find older ones" in page
    narrowed = officer_client.get("/breaches/", {"q": "Lost"}).content.decode()
    assert first.reference in narrowed and 'data-testid="register-more"' not in narrowed
