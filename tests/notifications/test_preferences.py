"""Each user can mute what they don't want, except the messages nobody may miss."""

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
