"""Each user can mute what they don't want, except the messages nobody may miss."""

import re

import pytest
from django.urls import reverse

from helpdesk.errors import DomainError
from notifications.models import Notification, NotificationKind, NotificationPreference
from notifications.services import notification_enqueue, notification_preferences_update
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db


def test_a_muted_kind_is_not_enqueued(make_ticket, agent_l1, requester):
    notification_preferences_update(user=requester, muted=[NotificationKind.PUBLIC_REPLY])
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    services.comment_create(ticket=ticket, actor=agent_l1, body="hello")

    assert not Notification.objects.filter(kind=NotificationKind.PUBLIC_REPLY).exists()


def test_the_acknowledgement_and_status_changes_cannot_be_muted(requester):
    with pytest.raises(DomainError):
        notification_preferences_update(user=requester, muted=[NotificationKind.TICKET_CREATED])
    # Even a preference row written behind the service's back does not mute them.
    NotificationPreference.objects.create(
        user=requester,
        muted_kinds=[NotificationKind.TICKET_CREATED, NotificationKind.STATUS_CHANGED],
    )

    services.ticket_create(requester=requester, title="t", description="d")

    assert Notification.objects.filter(kind=NotificationKind.TICKET_CREATED).count() == 1


def test_a_requester_cannot_mute_agent_kinds_they_never_get(requester):
    with pytest.raises(DomainError):
        notification_preferences_update(user=requester, muted=[NotificationKind.ASSIGNED])


def test_a_requester_can_turn_off_the_satisfaction_surveys(client, requester):
    """Only requesters get the survey, yet their preferences page had no line for it (agents,
    who never get one, had): a requester tired of surveys could not stop them."""
    client.force_login(requester)
    assert 'name="csat_request"' in client.get(reverse("notification_preferences")).content.decode()

    notification_preferences_update(user=requester, muted=[NotificationKind.CSAT_REQUEST])

    assert (
        notification_enqueue(recipient=requester, kind="csat_request", ticket=None, cause="s")
        is None
    )


def test_an_agent_can_mute_assignments_but_still_gets_other_kinds(agent_l1, requester):
    notification_preferences_update(user=agent_l1, muted=[NotificationKind.ASSIGNED])

    assert notification_enqueue(recipient=agent_l1, kind="assigned", ticket=None, cause="a") is None
    assert notification_enqueue(
        recipient=agent_l1, kind="escalated_to_tier", ticket=None, cause="b"
    )


def test_preferences_page_saves_the_unticked_kinds(client, requester):
    client.force_login(requester)
    url = reverse("notification_preferences")

    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="public_reply"' in body
    assert 'name="assigned"' not in body  # an agent kind
    assert 'name="ticket_created"' in body and "disabled" in body

    response = client.post(url, {"ticket_created": "on", "status_changed": "on"})

    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=requester).muted_kinds == [
        NotificationKind.CSAT_REQUEST,
        NotificationKind.MAJOR_INCIDENT_UPDATE,
        NotificationKind.PUBLIC_REPLY,
        NotificationKind.TICKET_MERGED,
    ]


def test_preferences_page_cannot_mute_an_unmutable_kind_by_posting_without_it(client, requester):
    client.force_login(requester)

    client.post(reverse("notification_preferences"), {})

    muted = NotificationPreference.objects.get(user=requester).muted_kinds
    assert NotificationKind.TICKET_CREATED not in muted
    assert NotificationKind.STATUS_CHANGED not in muted


def test_preferences_page_query_count(client, agent_l1, django_assert_num_queries):
    client.force_login(agent_l1)
    # session, user, the user's preference row
    with django_assert_num_queries(3):
        assert client.get(reverse("notification_preferences")).status_code == 200


def test_preferences_page_needs_a_login(client):
    response = client.get(reverse("notification_preferences"))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_managers_read_every_template_in_both_languages(client, manager):
    client.force_login(manager)

    response = client.get(reverse("notification_templates"))

    assert response.status_code == 200
    body = response.content.decode()
    for kind in NotificationKind.values:
        assert f'id="kind-{kind}"' in body
    assert body.count('<article lang="es"') == len(NotificationKind.values)
    assert body.count('<article lang="en"') == len(NotificationKind.values)
    assert "[INC-000123]" in body
    assert "cannot be rendered" not in body
    assert "Hemos recibido su solicitud" in body  # Spanish already in the foundation catalog


def test_agents_cannot_read_the_template_page(client, agent_l1):
    client.force_login(agent_l1)

    assert client.get(reverse("notification_templates")).status_code == 403


# --- each role sees only what it can be sent ----------------------------------------------------


def _offered(client, user) -> set[str]:
    client.force_login(user)
    body = client.get(reverse("notification_preferences")).content.decode()
    return {kind for kind in NotificationKind.values if f'name="{kind}"' in body}


def test_each_role_is_offered_only_the_kinds_it_can_be_sent(
    client, requester, agent_l1, manager, security_officer
):
    """An agent's page listed the officers' breach emails and the requesters' guest-claim link;
    a manager's the agents' assignments and SLA warnings; an officer's lacked the breach emails,
    the only ones they get."""
    agent = _offered(client, agent_l1)
    assert {"breach_flagged", "breach_clock_warning", "guest_claim"}.isdisjoint(agent)
    assert {"assigned", "mentioned", "sla_warning", "public_reply"} <= agent  # own tickets too
    boss = _offered(client, manager)
    assert {"assigned", "escalated_to_tier", "sla_warning", "breach_flagged"}.isdisjoint(boss)
    assert {"raised_to_manager", "mentioned", "password_changed"} <= boss
    officer = _offered(client, security_officer)
    assert {"breach_flagged", "breach_clock_warning", "breach_clock_overdue"} <= officer
    assert {"guest_claim", "assigned", "mentioned"}.isdisjoint(officer)
    customer = _offered(client, requester)
    assert {"guest_claim", "csat_request", "public_reply", "password_reset"} <= customer
    assert {"assigned", "breach_flagged", "mentioned"}.isdisjoint(customer)


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("en", ["Password reset link", "Your password was changed"]),
        ("es", ["Enlace para restablecer la contraseña", "Su contraseña se ha cambiado"]),
    ],
)
def test_a_requester_is_shown_the_account_emails_locked_as_every_role_is(
    client, requester, agent_l1, language, labels
):
    """Every other role's page lists the always-sent account emails (password reset, sign-up,
    …) as locked rows; a requester's left them out, while its text says "some emails are
    always sent"."""
    account_kinds = ["password_reset", "sign_up", "account_exists", "password_changed"]
    for user in (requester, agent_l1):
        user.language = language
        user.save(update_fields=["language"])
        client.force_login(user)

        body = client.get(reverse("notification_preferences")).content.decode()

        for kind in account_kinds:
            (field,) = re.findall(rf'<input[^>]*name="{kind}"[^>]*>', body)
            assert "disabled" in field and "checked" in field
            assert f'name="in_app-{kind}"' not in body  # email only, as for agents
        for label in labels:
            assert label in body
    with pytest.raises(DomainError) as refused:  # not "never sent": locked
        notification_preferences_update(user=requester, muted=["password_reset"])
    assert refused.value.message.endswith(": password_reset")
    assert "never" not in refused.value.message and "nunca" not in refused.value.message


def test_the_breach_emails_are_shown_to_the_officer_locked(client, security_officer):
    client.force_login(security_officer)
    body = client.get(reverse("notification_preferences")).content.decode()
    (field,) = re.findall(r'<input[^>]*name="breach_clock_warning"[^>]*>', body)
    assert "disabled" in field
    with pytest.raises(DomainError):
        notification_preferences_update(user=security_officer, muted=["breach_clock_warning"])


@pytest.mark.parametrize("field", ["breach_flagged", "in_app-breach_flagged", "in_app-guest_claim"])
def test_a_choice_for_a_kind_never_sent_to_the_user_is_a_400(client, agent_l1, field):
    client.force_login(agent_l1)

    response = client.post(reverse("notification_preferences"), {"assigned": "on", field: "on"})

    assert response.status_code == 400
    assert "You are never sent these notifications" in response.content.decode()
    assert not NotificationPreference.objects.filter(user=agent_l1).exists()


def test_a_choice_in_the_app_for_an_email_only_kind_is_a_400(client, agent_l1):
    client.force_login(agent_l1)
    response = client.post(reverse("notification_preferences"), {"in_app-password_reset": "on"})
    assert response.status_code == 400
    assert not NotificationPreference.objects.filter(user=agent_l1).exists()


def test_the_service_says_a_kind_is_not_sent_to_the_user(agent_l1, manager):
    with pytest.raises(DomainError, match="never sent"):
        notification_preferences_update(user=agent_l1, muted=["breach_flagged"])
    with pytest.raises(DomainError, match="never sent"):
        notification_preferences_update(user=manager, muted=["assigned"])
    with pytest.raises(DomainError, match="cannot be turned off"):
        notification_preferences_update(user=agent_l1, muted=["ticket_created"])


def test_the_refusal_is_in_spanish_for_a_spanish_agent(client, agent_l2):
    agent_l2.language = "es"
    agent_l2.save(update_fields=["language"])
    client.force_login(agent_l2)
    response = client.post(
        reverse("notification_preferences"), {"breach_flagged": "on"}, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert response.status_code == 400
    assert "Nunca se le envían estas notificaciones" in response.content.decode()
