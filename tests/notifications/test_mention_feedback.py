"""An @name that reaches nobody is said to the author: the page's message after the note is saved,
and `mentions_not_notified` in the API's answer. It was dropped silently, so an agent believed a
colleague of another tier (or a requester, or a typo) had been told."""

import pytest
from django.contrib.messages import get_messages

from escalation.models import Tier
from notifications.mentions import mentions_unreached
from notifications.models import InAppNotification
from tests.factories import AgentFactory, UserFactory
from tickets import services
from tickets.models import Comment, Status

pytestmark = pytest.mark.django_db

BODY = "@agent_l2 @requester @nobody_here @ana @agent_l1 please check"


def messages(response):
    return list(get_messages(response.wsgi_request))


def _post_note(client, ticket, body=BODY, *, is_internal=True, **headers):
    data = {"reply-body": body}
    if is_internal:
        data["reply-is_internal"] = "on"
    return client.post(f"/tickets/{ticket.pk}/reply/", data, **headers)


def test_the_page_says_which_mentions_notified_nobody(client_for, make_ticket, agent_l1):
    ana = AgentFactory(username="ana", tier=Tier.L1)
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # at L1: agent_l2 cannot open it

    response = _post_note(client_for(agent_l1), ticket)

    assert response.status_code == 302
    assert Comment.objects.get(ticket=ticket).body == BODY  # saved all the same
    # Each name isolated (FSI … PDI): a right-to-left user name keeps the sentence in order.
    texts = [str(m).replace("\u2068", "").replace("\u2069", "") for m in messages(response)]
    assert texts[0] == "Internal note added."
    assert "Not notified, as this person cannot open this ticket: @agent_l2." in texts
    assert (
        "Not notified, as only agents and managers can be mentioned, and this person is neither: "
        "@requester." in texts
    )
    assert "Not notified, as there is no active account with this user name: @nobody_here." in texts
    assert not any("@ana" in text or "@agent_l1" in text for text in texts)  # told / the author
    assert InAppNotification.objects.filter(recipient=ana, kind="mentioned").exists()


def test_a_note_whose_mentions_all_arrive_says_nothing_more(client_for, make_ticket, agent_l1):
    AgentFactory(username="ana", tier=Tier.L1)
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = _post_note(client_for(agent_l1), ticket, "@ana look", is_internal=False)

    assert [str(m) for m in messages(response)] == ["Reply sent."]


def test_the_message_is_in_spanish_for_a_spanish_agent(client_for, make_ticket, agent_l1):
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = _post_note(client_for(agent_l1), ticket, "@agent_l2 mira", HTTP_ACCEPT_LANGUAGE="es")

    texts = [str(m).replace("\u2068", "").replace("\u2069", "") for m in messages(response)]
    assert "No se ha avisado, porque esta persona no puede abrir este ticket: @agent_l2." in texts


PLURALS = "@agent_l2 @agent_l3 @requester @solicitante @nobody_here @nobody_there mira"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "Not notified, as these people cannot open this ticket: @agent_l2, @agent_l3.",
                "Not notified, as only agents and managers can be mentioned, and these people "
                "are neither: @requester, @solicitante.",
                "Not notified, as there is no active account with these user names: "
                "@nobody_here, @nobody_there.",
            ],
        ),
        (
            "es",
            [
                "No se ha avisado, porque estas personas no pueden abrir este ticket: "
                "@agent_l2, @agent_l3.",
                "No se ha avisado, porque solo se puede mencionar a agentes y supervisores, y "
                "estas personas no lo son: @requester, @solicitante.",
                "No se ha avisado, porque no hay ninguna cuenta activa con estos nombres de "
                "usuario: @nobody_here, @nobody_there.",
            ],
        ),
    ],
)
def test_several_names_for_one_reason_are_said_in_the_plural(
    client_for, make_ticket, agent_l1, agent_l3, language, expected
):
    """It said "they cannot" (Spanish "no pueden") of one colleague as of several: each
    sentence is singular for one name (the tests above) and plural for more."""
    UserFactory(username="solicitante")
    agent_l1.language = language
    agent_l1.save(update_fields=["language"])
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = _post_note(client_for(agent_l1), ticket, PLURALS, HTTP_ACCEPT_LANGUAGE=language)

    texts = [str(m).replace("\u2068", "").replace("\u2069", "") for m in messages(response)]
    assert texts[1:] == expected


def test_the_api_answer_lists_the_mentions_that_notified_nobody(api, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/comments/",
        {"body": "@agent_l2 @requester @agent_l1 see", "is_internal": True},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["mentions_not_notified"] == [
        {
            "name": "agent_l2",
            "reason": "no_access",
            "message": "They cannot open this ticket.",
        },
        {
            "name": "requester",
            "reason": "not_staff",
            "message": "Only agents and managers can be mentioned.",
        },
    ]
    assert Comment.objects.filter(ticket=ticket).count() == 1


def test_a_requesters_text_mentions_nobody_and_is_told_nothing(api, make_ticket, requester):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = api(requester).post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": "@agent_l2 hello?"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["mentions_not_notified"] == []


def test_a_right_to_left_name_is_isolated_in_the_message(client_for, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = _post_note(client_for(agent_l1), ticket, "@\u05e9\u05dc\u05d5\u05dd ?")

    assert str(messages(response)[1]).endswith(": \u2068@\u05e9\u05dc\u05d5\u05dd\u2069.")


def test_telling_the_author_reads_the_mentions_resolved_for_the_notifications(
    make_ticket, agent_l1, django_assert_num_queries
):
    """The names and each named colleague's access were queried twice: once to notify, once to
    answer the author."""
    AgentFactory(username="ana", tier=Tier.L1)
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    comment = services.comment_create(ticket=ticket, actor=agent_l1, body=BODY, is_internal=True)

    with django_assert_num_queries(0):
        unreached = mentions_unreached(comment=comment, ticket=ticket, author=agent_l1)
    assert {m.name for m in unreached} == {"agent_l2", "requester", "nobody_here"}
