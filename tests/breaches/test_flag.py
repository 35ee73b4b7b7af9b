"""Any agent flags a ticket as a suspected data breach; the security officers are told."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from accounts.models import Role
from breaches import services
from breaches.models import AuditAction, Breach
from helpdesk.errors import ConflictError, DomainError
from notifications.models import Notification
from notifications.services import notification_deliver
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_flag_opens_a_record_linked_to_the_ticket(breach, flagged_ticket, agent_l1):
    assert list(breach.tickets.all()) == [flagged_ticket]
    assert breach.reporter == agent_l1
    assert breach.aware_at == breach.created_at
    assert breach.notify_due_at - breach.aware_at == __import__("datetime").timedelta(hours=72)
    entry = breach.audit_entries.get()
    assert entry.action == AuditAction.FLAGGED and entry.actor == agent_l1
    assert entry.changes["tickets"] == [None, [flagged_ticket.reference]]


def test_flag_notifies_every_security_officer_once(flagged_ticket, agent_l1, security_officer):
    second = UserFactory(username="dpo", role=Role.SECURITY_OFFICER)
    breach = services.breach_flag_ticket(
        ticket=flagged_ticket, actor=agent_l1, description="Wrong recipient."
    )

    rows = Notification.objects.filter(kind="breach_flagged")
    assert sorted(r.recipient_id for r in rows) == sorted([security_officer.pk, second.pk])
    assert all(r.ticket_id is None for r in rows)
    assert all(r.dedupe_key.startswith(f"breach_flagged:breach:{breach.pk}:") for r in rows)


def test_flag_email_is_only_a_link(flagged_ticket, agent_l1, security_officer):
    breach = services.breach_flag_ticket(
        ticket=flagged_ticket, actor=agent_l1, description="Payroll file on a public share."
    )
    notification = Notification.objects.get(kind="breach_flagged")

    assert notification_deliver(notification_id=notification.pk)

    [message] = mail.outbox
    assert message.to == [security_officer.email]
    assert f"/breaches/{breach.pk}/" in message.body
    for secret in ("Payroll", flagged_ticket.reference, flagged_ticket.title, breach.title):
        assert secret not in message.body
        assert secret not in message.subject


def test_a_ticket_already_flagged_is_refused(breach, flagged_ticket, agent_l2):
    with pytest.raises(ConflictError):
        services.breach_flag_ticket(ticket=flagged_ticket, actor=agent_l2, description="Again")
    assert Breach.objects.count() == 1


def test_flag_needs_a_description(flagged_ticket, agent_l1):
    with pytest.raises(DomainError) as error:
        services.breach_flag_ticket(ticket=flagged_ticket, actor=agent_l1, description="  ")
    assert error.value.field == "description"


@pytest.mark.parametrize("persona", ["requester", "manager"])
def test_only_agents_flag(persona, flagged_ticket, request):
    with pytest.raises(PermissionDenied):
        services.breach_flag_ticket(
            ticket=flagged_ticket, actor=request.getfixturevalue(persona), description="x"
        )


def test_flag_through_the_api_does_not_reveal_the_record(flagged_ticket, agent_l1, api):
    response = api(agent_l1).post(
        "/api/breaches/flag/", {"ticket": flagged_ticket.pk, "description": "Leak"}, "json"
    )

    assert response.status_code == 201
    assert response.json() == {"flagged": True, "ticket": flagged_ticket.pk}


def test_flag_needs_read_access_to_the_ticket(flagged_ticket, outsider, agent_l2, api):
    # L2 agents do not read L1 tickets; requesters cannot flag: both get 404 / 403, no record.
    response = api(agent_l2).post(
        "/api/breaches/flag/", {"ticket": flagged_ticket.pk, "description": "x"}, "json"
    )
    assert response.status_code == 404
    assert not Breach.objects.exists()


def test_flag_form_on_the_ticket_page(flagged_ticket, agent_l1, client):
    client.force_login(agent_l1)

    response = client.post(
        f"/breaches/flag/{flagged_ticket.pk}/",
        {"description": "Leak", "next": f"/tickets/{flagged_ticket.pk}/"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{flagged_ticket.pk}/"
    assert Breach.objects.get().tickets.get() == flagged_ticket


def test_flag_form_refuses_an_outside_redirect(flagged_ticket, agent_l1, client):
    client.force_login(agent_l1)

    response = client.post(
        f"/breaches/flag/{flagged_ticket.pk}/",
        {"description": "Leak", "next": "https://evil.example/"},
    )

    assert response["Location"] == "/"


def test_a_refused_flag_shows_the_ticket_again_with_what_was_typed(
    flagged_ticket, agent_l1, client
):
    """Before, any refusal redirected to the ticket with a message and the text was gone; a
    text of any length was taken."""
    client.force_login(agent_l1)
    typed = "Customer list mailed out. " * 800  # 20,800 characters
    response = client.post(
        f"/breaches/flag/{flagged_ticket.pk}/",
        {"description": typed, "next": f"/tickets/{flagged_ticket.pk}/"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f"At most 20000 characters (it has {len(typed.strip())})" in html
    assert typed.strip() in html
    assert "<details open>" in html
    assert not Breach.objects.exists()

    empty = client.post(f"/breaches/flag/{flagged_ticket.pk}/", {"description": " "})
    assert empty.status_code == 400
    assert "Say briefly what happened before flagging." in empty.content.decode()


def test_the_api_flag_has_the_same_limit(flagged_ticket, agent_l1, api):
    answer = api(agent_l1).post(
        "/api/breaches/flag/", {"ticket": flagged_ticket.pk, "description": "x" * 20001}, "json"
    )
    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == ["description"]
    assert not Breach.objects.exists()


def test_after_a_refused_flag_the_page_still_goes_back_to_the_ticket(
    flagged_ticket, agent_l1, client
):
    """The page a refused flag showed sent its forms back to the flag's own address: sending
    the corrected flag then ended on a 405 page (and so did a reload or a language switch)."""
    client.force_login(agent_l1)
    ticket_page = f"/tickets/{flagged_ticket.pk}/"

    refused = client.post(
        f"/breaches/flag/{flagged_ticket.pk}/", {"description": " ", "next": ticket_page}
    )

    assert refused.status_code == 400
    assert f'name="next" value="{ticket_page}"' in refused.content.decode()
    # Only the language switch still names this address: its GET goes to the ticket page.
    assert refused.content.decode().count('name="next" value="/breaches/flag/') == 1
    again = client.get(f"/breaches/flag/{flagged_ticket.pk}/")
    assert (again.status_code, again["Location"]) == (302, ticket_page)
