"""Free text an agent (or a requester) types on the ticket page has the API's limits: a reason
at most REASON_MAX_LENGTH characters, a reply or a resolution summary TEXT_MAX_LENGTH. Over
them: a form error with the text kept (the page's forms had no limit and stored 100,000
characters), a 400 with a message in the API; nothing written."""

import pytest

from tickets.models import Comment, Status, TicketEvent
from tickets.models_choices import REASON_MAX_LENGTH, TEXT_MAX_LENGTH

pytestmark = pytest.mark.django_db

HUGE = 100_000


def _typed(limit: int) -> str:
    # A recognisable start, so the page can be searched for the text given back.
    return "Kept text " + "x" * (HUGE - 10)


@pytest.mark.parametrize(
    ("status", "name", "data", "field", "limit"),
    [
        (Status.IN_DIAGNOSIS, "escalate", {}, "escalate-reason", REASON_MAX_LENGTH),
        (Status.IN_DIAGNOSIS, "hold", {}, "hold-reason", REASON_MAX_LENGTH),
        (Status.IN_DIAGNOSIS, "cancel", {"cancel-code": "withdrawn"}, "cancel-reason", None),
        (
            Status.IN_DIAGNOSIS,
            "resolve",
            {"resolve-code": "fixed"},
            "resolve-summary",
            TEXT_MAX_LENGTH,
        ),
        (Status.ON_HOLD, "resume", {}, "resume-reason", REASON_MAX_LENGTH),
    ],
)
def test_an_over_long_transition_text_is_a_form_error_with_the_text_kept(
    make_ticket, client_for, agent_l1, status, name, data, field, limit
):
    ticket = make_ticket(status)
    events = TicketEvent.objects.filter(ticket=ticket).count()
    text = _typed(limit or REASON_MAX_LENGTH)

    response = client_for(agent_l1).post(f"/tickets/{ticket.pk}/do/{name}/", {**data, field: text})

    assert response.status_code == 400
    page = response.content.decode()
    expected = limit or REASON_MAX_LENGTH
    assert f"At most {expected} characters (it has {HUGE})." in page
    assert f"\n{text}</textarea>" in page  # given back to correct
    ticket.refresh_from_db()
    assert ticket.status == status
    assert TicketEvent.objects.filter(ticket=ticket).count() == events


def test_the_page_sets_no_maxlength_that_would_cut_a_pasted_text(make_ticket, client_for, agent_l1):
    # A browser enforces `maxlength` by silently cutting what is pasted: the server says it.
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    page = client_for(agent_l1).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'name="resolve-summary"' in page and 'name="escalate-reason"' in page
    assert "maxlength" not in page.split('name="escalate-reason"')[1].split(">")[0]
    assert "maxlength" not in page.split('name="resolve-summary"')[1].split(">")[0]


def test_an_over_long_reply_is_a_form_error_with_the_text_kept(make_ticket, client_for, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    text = _typed(TEXT_MAX_LENGTH)
    response = client_for(agent_l1).post(f"/tickets/{ticket.pk}/reply/", {"reply-body": text})
    assert response.status_code == 400
    page = response.content.decode()
    assert f"At most {TEXT_MAX_LENGTH} characters (it has {HUGE})." in page
    assert f">{text}</textarea>" in page
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_the_limit_is_said_in_spanish(make_ticket, client_for, agent_l1):
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    response = client_for(agent_l1).post(
        f"/tickets/{ticket.pk}/do/escalate/", {"escalate-reason": _typed(REASON_MAX_LENGTH)}
    )
    assert response.status_code == 400
    # Django's own words said "fewer than 2000" of a limit that allows 2000.
    page = response.content.decode()
    assert f"Como máximo {REASON_MAX_LENGTH} caracteres (tiene {HUGE})." in page
    assert "menos de" not in page


def test_the_escalation_forms_give_an_over_long_reason_back(make_ticket, client_for, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    text = _typed(REASON_MAX_LENGTH)
    response = client_for(agent_l1).post(
        f"/escalation/tickets/{ticket.pk}/raise/", {"reason": text}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f"At most {REASON_MAX_LENGTH} characters" in page
    assert f"\n{text}</textarea>" in page


@pytest.mark.parametrize(
    ("status", "path", "payload"),
    [
        (Status.IN_DIAGNOSIS, "escalate", {"reason": "r" * HUGE}),
        (Status.IN_DIAGNOSIS, "hold", {"reason": "r" * HUGE}),
        (Status.IN_DIAGNOSIS, "resolve", {"summary": "s" * HUGE, "code": "fixed"}),
        (Status.IN_DIAGNOSIS, "cancel", {"code": "withdrawn", "reason": "r" * HUGE}),
        (Status.IN_DIAGNOSIS, "comments", {"body": "b" * HUGE}),
    ],
)
def test_the_api_answers_an_over_long_text_with_a_400(
    make_ticket, api, agent_l1, status, path, payload
):
    ticket = make_ticket(status)
    events = TicketEvent.objects.filter(ticket=ticket).count()
    response = api(agent_l1).post(f"/api/tickets/{ticket.pk}/{path}/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["message"]
    assert "characters" in str(body["errors"])
    assert TicketEvent.objects.filter(ticket=ticket).count() == events
    assert not Comment.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", f"At most {REASON_MAX_LENGTH} characters (it has {HUGE})."),
        ("es", f"Como máximo {REASON_MAX_LENGTH} caracteres (tiene {HUGE})."),
    ],
)
def test_the_api_says_the_limit_in_the_callers_language(make_ticket, api, agent_l1, language, said):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    response = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/escalate/",
        {"reason": "r" * HUGE},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    assert response.json()["errors"]["reason"] == [said]


def test_the_api_limit_message_does_not_keep_the_first_callers_language(make_ticket, api, agent_l1):
    """A serializer's fields are shared between requests: DRF's message, formatted once and
    kept, answered everyone in the language of the first refusal."""
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = api(agent_l1)
    payload = {"reason": "r" * HUGE}
    url = f"/api/tickets/{ticket.pk}/escalate/"
    spanish = client.post(url, payload, format="json", HTTP_ACCEPT_LANGUAGE="es")
    english = client.post(url, payload, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert spanish.json()["errors"]["reason"][0].startswith("Como máximo")
    assert english.json()["errors"]["reason"][0].startswith("At most")


def test_a_line_break_counts_once_against_the_limit(make_ticket, client_for, agent_l1):
    # Browsers send a textarea's line breaks as "\r\n": a reason of exactly the limit, on 20
    # lines, was refused as "At most 2000 characters (it has 2020)".
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    reason = ("y" * 99 + "\n") * (REASON_MAX_LENGTH // 100)
    assert len(reason) == REASON_MAX_LENGTH

    response = client_for(agent_l1).post(
        f"/tickets/{ticket.pk}/do/hold/", {"hold-reason": reason.replace("\n", "\r\n")}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD
    assert TicketEvent.objects.filter(ticket=ticket).last().reason == reason.strip()
