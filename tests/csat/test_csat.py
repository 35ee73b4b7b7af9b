"""Satisfaction surveys: asked once when a ticket closes, answered once through a link that
works only for its ticket, and the CSAT figures for managers."""

import pytest
from django.core import mail, signing
from django.db import connection
from django.test.utils import CaptureQueriesContext

from csat import services
from csat.models import SatisfactionSurvey
from csat.selectors import csat_summary, survey_from_token
from helpdesk.errors import ConflictError, DomainError
from notifications.models import Notification, NotificationKind
from notifications.services import notification_deliver
from tickets import services as ticket_services
from tickets.models import Status

pytestmark = pytest.mark.django_db


def _token(survey):
    return services.survey_token(survey=survey)


def test_closing_a_ticket_asks_the_requester_once(make_ticket, requester):
    ticket = make_ticket(Status.CLOSED)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert survey.requester == requester
    assert survey.tier == ticket.tier and survey.agent_id == ticket.assignee_id
    notes = Notification.objects.filter(kind=NotificationKind.CSAT_REQUEST, ticket=ticket)
    assert notes.count() == 1
    assert notes.get().recipient == requester
    # Asking again (a retried hook) changes nothing.
    services.csat_request(ticket=ticket)
    assert notes.count() == 1
    assert SatisfactionSurvey.objects.count() == 1


def test_the_email_carries_a_link_that_opens_the_survey(make_ticket, client):
    ticket = make_ticket(Status.CLOSED)
    note = Notification.objects.get(kind=NotificationKind.CSAT_REQUEST, ticket=ticket)
    mail.outbox.clear()
    assert notification_deliver(notification_id=note.pk)
    body = mail.outbox[0].body
    assert ticket.reference in mail.outbox[0].subject
    link = next(line.split(": ", 1)[1] for line in body.splitlines() if line.startswith("5: "))
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 200
    assert 'value="5"' in response.content.decode()


def test_cancelled_and_resolved_tickets_are_not_surveyed(make_ticket, agent_l1):
    resolved = make_ticket(Status.RESOLVED)
    cancelled = make_ticket(Status.IN_DIAGNOSIS)
    ticket_services.ticket_cancel(ticket=cancelled, actor=agent_l1, code="duplicate")
    assert not SatisfactionSurvey.objects.filter(ticket__in=[resolved, cancelled]).exists()


def test_the_link_works_once(make_ticket, client):
    survey = SatisfactionSurvey.objects.get(ticket=make_ticket(Status.CLOSED))
    url = f"/csat/{_token(survey)}/"
    # Opening the link (a mail scanner does) records nothing.
    assert client.get(url + "?rating=5").status_code == 200
    survey.refresh_from_db()
    assert survey.rating is None

    response = client.post(url, {"rating": "4", "comment": "Quick and kind."})
    assert response.status_code == 302  # Post/Redirect/Get: a reload sends nothing again
    assert response["Location"] == url + "?answered=1"
    assert "Thank you" in client.get(response["Location"]).content.decode()
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == (4, "Quick and kind.")
    answered_at = survey.answered_at

    again = client.post(url, {"rating": "1", "comment": "Changed my mind"})
    assert "already been rated" in again.content.decode()
    survey.refresh_from_db()
    assert (survey.rating, survey.answered_at) == (4, answered_at)
    assert "already been rated" in client.get(url).content.decode()


def test_a_forged_or_altered_token_is_404(make_ticket, client):
    survey = SatisfactionSurvey.objects.get(ticket=make_ticket(Status.CLOSED))
    token = _token(survey)
    assert client.get("/csat/not-a-token/").status_code == 404
    assert client.post(f"/csat/{token[:-2]}xx/", {"rating": "5"}).status_code == 404
    unsigned = signing.dumps([survey.pk, survey.ticket_id, survey.nonce], salt="other")
    assert client.get(f"/csat/{unsigned}/").status_code == 404
    survey.refresh_from_db()
    assert survey.rating is None


def test_a_token_only_works_for_its_own_ticket(make_ticket, client):
    first = SatisfactionSurvey.objects.get(ticket=make_ticket(Status.CLOSED))
    second = SatisfactionSurvey.objects.get(ticket=make_ticket(Status.CLOSED, title="Printer"))
    # Correctly signed (as if the key leaked) but naming another ticket, or an old nonce: 404.
    crossed = signing.dumps([first.pk, second.ticket_id, first.nonce], salt=services.TOKEN_SALT)
    assert client.post(f"/csat/{crossed}/", {"rating": "1"}).status_code == 404
    stale = signing.dumps([first.pk, first.ticket_id, "old-nonce"], salt=services.TOKEN_SALT)
    assert client.get(f"/csat/{stale}/").status_code == 404
    assert survey_from_token(token=_token(second)).pk == second.pk
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.rating is None and second.rating is None


def test_a_bad_rating_is_a_form_error(make_ticket, client):
    survey = SatisfactionSurvey.objects.get(ticket=make_ticket(Status.CLOSED))
    response = client.post(f"/csat/{_token(survey)}/", {"rating": "9"})
    assert response.status_code == 400
    with pytest.raises(DomainError):
        services.survey_answer(survey=survey, rating="x")
    survey.refresh_from_db()
    assert survey.rating is None


def test_the_requester_rates_on_the_portal_and_nobody_else_can(
    make_ticket, client, requester, other_requester, agent_l1
):
    ticket = make_ticket(Status.CLOSED)
    client.force_login(agent_l1)
    assert client.post(f"/csat/tickets/{ticket.pk}/", {"rating": "1"}).status_code == 403
    client.force_login(other_requester)  # same organisation, tickets not shared
    assert client.post(f"/csat/tickets/{ticket.pk}/", {"rating": "1"}).status_code == 404
    client.force_login(requester)
    response = client.post(f"/csat/tickets/{ticket.pk}/", {"rating": "5"})
    assert response.status_code == 302
    assert SatisfactionSurvey.objects.get(ticket=ticket).rating == 5
    with pytest.raises(ConflictError):
        services.survey_answer(survey=SatisfactionSurvey.objects.get(ticket=ticket), rating=3)


def test_the_portal_says_which_field_is_wrong(make_ticket, client, requester):
    # A comment over 4,000 characters was answered "Choose a rating from 1 to 5.".
    ticket = make_ticket(Status.CLOSED)
    client.force_login(requester)

    response = client.post(f"/csat/tickets/{ticket.pk}/", {"rating": "5", "comment": "x" * 4001})

    page = response.content.decode()
    assert "Comment: At most 4000 characters (it has 4001)." in page
    assert "Choose a rating from 1 to 5." not in page
    assert SatisfactionSurvey.objects.get(ticket=ticket).rating is None
    response = client.post(f"/csat/tickets/{ticket.pk}/", {"comment": "no rating"})
    assert "Choose a rating from 1 to 5." in response.content.decode()


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_refused_rating_keeps_the_typed_comment(make_ticket, client, requester, language):
    # The refusal redirected to the ticket page with a new, empty form: the comment was lost.
    ticket = make_ticket(Status.CLOSED)
    requester.language = language
    requester.save(update_fields=["language"])
    client.force_login(requester)

    response = client.post(
        f"/csat/tickets/{ticket.pk}/", {"comment": "The agent was kind & quick <3"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "The agent was kind &amp; quick &lt;3</textarea>" in page
    message = "Choose a rating from 1 to 5." if language == "en" else "Elija una valoración"
    assert message in page
    assert f'action="/csat/tickets/{ticket.pk}/"' in page  # the form is there to send again
    assert SatisfactionSurvey.objects.get(ticket=ticket).rating is None
    # Sent again with a rating: recorded with the comment, back to the ticket page.
    response = client.post(
        f"/csat/tickets/{ticket.pk}/", {"rating": "4", "comment": "The agent was kind"}
    )
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert (survey.rating, survey.comment) == (4, "The agent was kind")


def test_the_comment_box_does_not_cut_a_pasted_comment(make_ticket, client, requester):
    # `maxlength` made the browser cut a pasted comment at 4,000 characters without a word.
    ticket = make_ticket(Status.CLOSED)
    client.force_login(requester)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    box = page.split('name="comment"')[1].split(">")[0]
    assert "maxlength" not in box


def test_a_get_of_the_rating_address_goes_to_the_ticket(make_ticket, client, requester):
    # The address a refused rating is shown at: a reload or a language switch asks for it again.
    ticket = make_ticket(Status.CLOSED)
    client.force_login(requester)
    response = client.get(f"/csat/tickets/{ticket.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"


def test_ticket_partial_shows_the_form_to_the_requester_and_the_rating_to_staff(
    make_ticket, rf, requester, agent_l1, outsider
):
    from django.template.loader import render_to_string

    ticket = make_ticket(Status.CLOSED)
    request = rf.get("/")
    html = render_to_string(
        "csat/_ticket_csat.html", {"ticket": ticket, "user": requester}, request
    )
    assert 'name="rating"' in html
    assert (
        render_to_string("csat/_ticket_csat.html", {"ticket": ticket, "user": outsider}).strip()
        == ""
    )
    services.survey_answer(survey=ticket.csat_survey, rating=2, comment="Slow")
    html = render_to_string("csat/_ticket_csat.html", {"ticket": ticket, "user": agent_l1})
    assert "Rated 2 out of 5" in html and "Slow" in html


def _answered(make_ticket, rating, **kwargs):
    ticket = make_ticket(Status.CLOSED, **kwargs)
    return services.survey_answer(survey=ticket.csat_survey, rating=rating)


def test_summary_by_tier_category_and_agent(make_ticket, agent_l1, category):
    from django.utils import timezone

    start = timezone.now()
    for rating in (5, 4, 4, 1):
        _answered(make_ticket, rating)
    summary = csat_summary(start=start, end=timezone.now() + timezone.timedelta(seconds=1))
    assert summary.overall.count == 4
    assert summary.overall.average == 3.5
    assert summary.overall.distribution == {1: 1, 2: 0, 3: 0, 4: 2, 5: 1}
    assert summary.overall.satisfied_percent == 75.0
    assert summary.requested == 4 and summary.response_rate == 100.0
    assert [(f.label, f.count) for f in summary.by_agent] == [(agent_l1.name, 4)]
    assert [(f.key, f.average) for f in summary.by_category] == [(category.pk, 3.5)]
    assert [f.key for f in summary.by_tier] == [1]
    empty = csat_summary(start=start - timezone.timedelta(days=9), end=start)
    assert empty.overall.count == 0 and empty.overall.average is None


def test_report_page_is_for_managers_with_pinned_queries(make_ticket, client, manager, agent_l1):
    _answered(make_ticket, 5)
    client.force_login(agent_l1)
    assert client.get("/csat/").status_code == 403
    client.force_login(manager)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/csat/")
    assert response.status_code == 200
    assert "Average: 5.0" in " ".join(response.content.decode().split())
    # 1 session, 2 user, 3 by tier, 4 by category, 5 categories, 6 by agent, 7 agents,
    # 8 surveys asked.
    assert len(ctx.captured_queries) == 8
    for rating in (1, 2, 3):
        _answered(make_ticket, rating, title=f"T{rating}")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/csat/", {"start": "2000-01-01"})
    assert len(ctx.captured_queries) == 8


def test_a_parameter_the_report_does_not_take_is_refused_not_ignored(client, manager):
    """`?from=` (the fields are start and end) showed the last 30 days as if filtered."""
    client.force_login(manager)

    response = client.get("/csat/", {"from": "2026-11-01"})

    assert response.status_code == 400
    text = " ".join(response.content.decode().split())
    assert "“from” is not a filter of the satisfaction report: it takes start and end." in text
    assert client.get("/csat/", {"start": "2026-11-01"}).status_code == 200
    bad_date = client.get("/csat/", {"start": "2026-13-01"})
    assert bad_date.status_code == 400
    assert "Enter a valid date." in bad_date.content.decode()


# --- the guest rates on the tracking page -------------------------------------------------------


def test_a_guest_rates_a_closed_ticket_on_the_tracking_page_once(make_ticket, client):
    # A requester without an account follows the tracking link: the rating form was offered to
    # signed-in requesters only, so the guest could not rate there at all.
    ticket = make_ticket(Status.CLOSED)
    page = client.get(f"/t/{ticket.tracking_token}/").content.decode()
    assert f'action="/csat/track/{ticket.tracking_token}/"' in page

    response = client.post(
        f"/csat/track/{ticket.tracking_token}/", {"rating": "4", "comment": "Quick"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/t/{ticket.tracking_token}/"
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert (survey.rating, survey.comment) == (4, "Quick")
    page = client.get(response["Location"]).content.decode()
    assert "Thank you for your rating." in page and "Rated 4 out of 5." in page
    assert 'data-testid="csat-form"' not in page
    # Once: a second post (a double click, a second tab) changes nothing and says so.
    response = client.post(f"/csat/track/{ticket.tracking_token}/", {"rating": "1"}, follow=True)
    assert "This ticket has already been rated. Thank you!" in response.content.decode()
    assert SatisfactionSurvey.objects.get(ticket=ticket).rating == 4


def test_a_guest_rating_without_comment_is_fine(make_ticket, client):
    ticket = make_ticket(Status.CLOSED)
    response = client.post(f"/csat/track/{ticket.tracking_token}/", {"rating": "5"})
    assert response.status_code == 302
    assert SatisfactionSurvey.objects.get(ticket=ticket).rating == 5


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_refused_guest_rating_keeps_the_comment_on_the_tracking_page(
    make_ticket, client, language
):
    ticket = make_ticket(Status.CLOSED)

    response = client.post(
        f"/csat/track/{ticket.tracking_token}/",
        {"comment": "Kind & quick"},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Kind &amp; quick</textarea>" in page
    assert ("Choose a rating from 1 to 5." if language == "en" else "Elija una valoración") in page
    assert f'action="/csat/track/{ticket.tracking_token}/"' in page
    assert SatisfactionSurvey.objects.get(ticket=ticket).rating is None


def test_a_guest_cannot_rate_a_ticket_not_yet_closed_or_with_a_wrong_link(make_ticket, client):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    page = client.get(f"/t/{ticket.tracking_token}/").content.decode()
    assert 'data-testid="csat-form"' not in page
    early = client.post(f"/csat/track/{ticket.tracking_token}/", {"rating": "5"})
    # The link's holder is the requester: not yet closed is a 409 saying so, not a 403.
    assert early.status_code == 409
    assert "This ticket can be rated once it is closed." in early.content.decode()
    assert client.post("/csat/track/not-a-token/", {"rating": "5"}).status_code == 404
    # A GET of the address (a reload after a refused rating) goes to the tracking page.
    response = client.get(f"/csat/track/{ticket.tracking_token}/")
    assert response.status_code == 302 and response["Location"] == f"/t/{ticket.tracking_token}/"


def test_a_refused_date_is_named_by_its_box(client, manager):
    """Two bad dates read "Enter a date between 2000-01-01 and 2099-12-31." twice: neither
    which box, nor that the figures are the default period's (the boxes show those days)."""
    client.force_login(manager)

    response = client.get("/csat/", {"start": "0001-01-01", "end": "9999-12-31"})

    assert response.status_code == 400
    text = " ".join(response.content.decode().split())
    assert "From: Enter a date between 2000-01-01 and 2099-12-31." in text
    assert "To (inclusive): Enter a date between 2000-01-01 and 2099-12-31." in text
    assert "The figures below are for the days shown in the boxes." in text
    manager.language = "es"
    manager.save(update_fields=["language"])
    text = " ".join(client.get("/csat/", {"start": "abc"}).content.decode().split())
    assert "Desde: " in text and "Las cifras de abajo son las de los días" in text


@pytest.mark.parametrize("language", ["en", "es"])
def test_reversed_dates_are_refused_naming_both_boxes_not_swapped(client, manager, language):
    """From 30 November to 1 November showed 1–30 November with the boxes swapped under the
    manager, who had meant another range: a 400 with the error under "To", naming "From"."""
    manager.language = language
    manager.save(update_fields=["language"])
    client.force_login(manager)

    response = client.get("/csat/", {"start": "2026-11-30", "end": "2026-11-01"})

    assert response.status_code == 400
    text = " ".join(response.content.decode().split())
    expected = {
        "en": "To (inclusive): 2026-11-01 is before “From” (2026-11-30): give the later day here.",
        "es": "Hasta (incluido): 2026-11-01 es anterior a «Desde» (2026-11-30)",
    }[language]
    assert expected in text
    assert 'value="2026-11-01"' not in text  # the boxes show the default period's days
    only_start = client.get("/csat/", {"start": "2099-01-01"})
    assert only_start.status_code == 400
    assert "2099-01-01" in only_start.content.decode()
    assert client.get("/csat/", {"start": "2026-11-01", "end": "2026-11-01"}).status_code == 200
