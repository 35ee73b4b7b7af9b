"""Every change to a breach is in its history (who, when, field: old → new); nobody edits it."""

from datetime import UTC, datetime

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from breaches import services
from breaches.models import AuditAction, BreachAuditEntry
from helpdesk.errors import DomainError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_VALUES = {
    "title": "Customer list sent to the wrong client",
    "status": "open",  # changed below from closed
    "occurred_at": datetime(2026, 1, 1, 8, 0, tzinfo=UTC),
    "detected_at": datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
    "aware_at": datetime(2026, 1, 1, 10, 0, tzinfo=UTC),
    "is_confidentiality": True,
    "is_integrity": True,
    "is_availability": True,
    "description": "An export was attached to the wrong ticket reply.",
    "subject_categories": "Customers",
    "subjects_approx": 1200,
    "data_categories": "Names, emails, phone numbers",
    "records_approx": 3400,
    "special_categories": "None",
    "likely_consequences": "Phishing",
    "risk_level": "risk",
    "risk_reasoning": "Contact data only",
    "containment_measures": "Recipient deleted the file",
    "remedial_measures": "Export now needs a second review",
    "dpo_contact": "dpo@example.com",
    "processor_involved": "None",
}


def test_each_editable_field_change_is_recorded(breach, security_officer):
    assert set(NEW_VALUES) == set(services.EDITABLE_FIELDS)
    for field, value in NEW_VALUES.items():
        if field == "status":
            continue
        old = getattr(breach, field)
        breach = services.breach_update(breach=breach, actor=security_officer, **{field: value})

        entry = BreachAuditEntry.objects.latest("id")
        assert entry.actor == security_officer
        assert entry.action == AuditAction.UPDATED
        assert entry.changes[field] == [
            services._json_value(old),
            services._json_value(value),
        ], field


def test_status_change_is_recorded(breach, security_officer):
    services.breach_decide_not_to_notify(breach=breach, actor=security_officer, reason="Low risk")
    services.breach_update(breach=breach, actor=security_officer, status="closed")

    assert BreachAuditEntry.objects.latest("id").changes["status"] == ["open", "closed"]


def test_closing_needs_the_authority_decision(breach, security_officer):
    with pytest.raises(DomainError):
        services.breach_update(breach=breach, actor=security_officer, status="closed")


def test_moving_aware_at_records_the_new_deadline_too(breach, security_officer):
    services.breach_update(
        breach=breach, actor=security_officer, aware_at=datetime(2026, 1, 1, 10, tzinfo=UTC)
    )

    changes = BreachAuditEntry.objects.latest("id").changes
    assert changes["notify_due_at"][1] == "2026-01-04T10:00:00+00:00"


def test_saving_nothing_new_writes_no_entry(breach, security_officer):
    before = BreachAuditEntry.objects.count()
    services.breach_update(breach=breach, actor=security_officer, title=breach.title)
    assert BreachAuditEntry.objects.count() == before


def test_actions_are_recorded_with_their_content(breach, security_officer, make_ticket):
    services.breach_add_note(breach=breach, actor=security_officer, body="Called the client")
    services.breach_decide_subjects(
        breach=breach,
        actor=security_officer,
        decision="exempt",
        exemption="disproportionate",
        reason="No contact details for most people",
    )
    services.breach_record_subjects_communication(
        breach=breach,
        actor=security_officer,
        communicated_at=datetime(2026, 1, 2, tzinfo=UTC),
        communication="Notice on the website",
    )
    other = make_ticket()
    services.breach_link_ticket(breach=breach, actor=security_officer, ticket=other)
    services.breach_unlink_ticket(breach=breach, actor=security_officer, ticket=other)

    entries = list(breach.audit_entries.order_by("id"))[1:]
    assert [e.action for e in entries] == [
        "note_added",
        "subjects_decision",
        "subjects_told",
        "ticket_linked",
        "ticket_unlinked",
    ]
    assert entries[0].changes == {"note": [None, "Called the client"]}
    assert entries[1].changes["subjects_exemption"] == ["", "disproportionate"]
    assert entries[2].changes["subjects_communication"] == ["", "Notice on the website"]
    assert entries[3].changes == {"tickets": [None, other.reference]}
    assert entries[4].changes == {"tickets": [other.reference, None]}


def test_a_manager_writes_nothing_and_leaves_no_entry(breach, manager):
    before = BreachAuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.breach_update(breach=breach, actor=manager, risk_level="high")
    with pytest.raises(PermissionDenied):
        services.breach_add_note(breach=breach, actor=manager, body="x")
    assert BreachAuditEntry.objects.count() == before


def test_exemption_is_required_when_exempt(breach, security_officer):
    with pytest.raises(DomainError) as error:
        services.breach_decide_subjects(
            breach=breach, actor=security_officer, decision="exempt", reason="x"
        )
    assert error.value.field == "exemption"


def test_communication_needs_a_decision_that_calls_for_it(breach, security_officer):
    services.breach_decide_subjects(
        breach=breach, actor=security_officer, decision="not_required", reason="Low risk"
    )
    with pytest.raises(DomainError):
        services.breach_record_subjects_communication(
            breach=breach,
            actor=security_officer,
            communicated_at=datetime(2026, 1, 2, tzinfo=UTC),
            communication="Email",
        )


def test_the_history_cannot_be_edited_in_the_admin(breach):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    entry = breach.audit_entries.first()
    for model in (BreachAuditEntry, type(breach)):
        admin = site._registry[model]
        assert admin.has_view_permission(request, entry)
        assert not admin.has_add_permission(request)
        assert not admin.has_change_permission(request, entry)
        assert not admin.has_delete_permission(request, entry)


def test_admin_change_page_is_read_only(breach, client):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(superuser)
    entry = breach.audit_entries.first()

    url = f"/admin/breaches/breachauditentry/{entry.pk}/change/"
    assert client.get(url).status_code == 200
    client.post(url, {"action": "updated", "changes": "{}"})
    assert client.post(f"/admin/breaches/breachauditentry/{entry.pk}/delete/").status_code == 403
    entry.refresh_from_db()
    assert entry.action == AuditAction.FLAGGED
