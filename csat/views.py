"""The survey page behind the emailed link, the portal's rating form, the managers' CSAT page."""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from csat import forms, selectors, services
from csat.models import SatisfactionSurvey
from helpdesk.errors import ConflictError, DomainError
from tickets.models import Ticket
from tickets.selectors import ticket_get_by_tracking_token, ticket_get_for_user
from tickets.views.base import tracking_guarded
from tickets.views.page import render_ticket


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _answer(
    request: HttpRequest, survey: SatisfactionSurvey, form: forms.RatingForm, actor: User | None
) -> str:
    """'done', 'already' or '' (the form has errors)."""
    if not form.is_valid():
        return ""
    try:
        services.survey_answer(
            survey=survey,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
            actor=actor,
        )
    except ConflictError:
        return "already"
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return ""
    return "done"


@require_http_methods(["GET", "POST"])
def survey_by_token(request: HttpRequest, token: str) -> HttpResponse:
    """/csat/<token>/ — the link in the email. GET shows the form (never records anything: mail
    scanners open links); POST records the answer, once."""
    survey = selectors.survey_from_token(token=token)
    if survey.is_answered and request.method == "GET":
        # ?answered=1: where the answer's POST redirects (Post/Redirect/Get): "thank you".
        state = "done" if request.GET.get("answered") else "already"
        return render(request, "csat/survey.html", {"survey": survey, "state": state})
    initial = {"rating": request.GET.get("rating")} if request.GET.get("rating") else {}
    form = forms.RatingForm(request.POST or None, initial=initial)
    state = ""
    if request.method == "POST":
        state = _answer(request, survey, form, actor=None)
        if state == "done":
            return redirect(f"{request.path}?answered=1")
    return render(
        request,
        "csat/survey.html",
        {"survey": survey, "form": form, "state": state, "token": token},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def survey_for_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The rating form on the ticket page (portal): the signed-in requester rates their ticket.

    Refused (no rating, a comment too long): the ticket page again with the form as sent, its
    errors and the typed comment (a redirect lost the comment). A GET of this address (reload,
    a language switch on that page) goes to the ticket page."""
    if request.method == "GET":
        return redirect("ticket_detail", pk=ticket_id)
    ticket = ticket_get_for_user(user=_user(request), ticket_id=ticket_id)
    return _rate_from_ticket_page(request, ticket, actor=_user(request), tracking=False)


@tracking_guarded
@require_http_methods(["GET", "POST"])
def survey_for_tracking(request: HttpRequest, token: str) -> HttpResponse:
    """The same rating form on the tracking page: a guest (no account, only the link of the
    acknowledgement email) rates their ticket with the same rules as a signed-in requester. It
    was not offered there at all: the form was for signed-in requesters only."""
    if request.method == "GET":
        return redirect("tracking", token=token)
    ticket = ticket_get_by_tracking_token(token=token)
    return _rate_from_ticket_page(request, ticket, actor=ticket.requester, tracking=True)


def _rate_from_ticket_page(
    request: HttpRequest, ticket: Ticket, *, actor: User, tracking: bool
) -> HttpResponse:
    survey = selectors.survey_for_ticket(ticket_id=ticket.pk)
    if survey is None and tracking:
        # The link's holder is the requester: not yet closed is the ticket's state (a stale
        # page, a reopen meanwhile), not a lack of rights.
        messages.error(request, _("This ticket can be rated once it is closed."))
        return render_ticket(request, ticket, tracking=True, status=409)
    if survey is None or survey.requester_id != actor.pk:
        # No survey yet (the ticket is not closed) or not theirs: nothing to rate.
        raise PermissionDenied(_("Only the requester can rate this ticket."))
    form = forms.RatingForm(request.POST)
    state = _answer(request, survey, form, actor=actor)
    if state == "done":
        messages.success(request, _("Thank you for your rating."))
    elif state == "already":
        messages.info(request, _("This ticket has already been rated. Thank you!"))
    else:
        # Each field's own error: a comment too long is not a missing rating.
        for name, errors in form.errors.items():
            if name == "rating":
                messages.error(request, _("Choose a rating from 1 to 5."))
            else:
                label = form.fields[name].label if name in form.fields else None
                text = " ".join(str(error) for error in errors)
                messages.error(request, f"{label}: {text}" if label else text)
        return render_ticket(request, ticket, tracking=tracking, bound={"csat": form}, status=400)
    if tracking:
        return redirect("tracking", token=ticket.tracking_token)
    return redirect("ticket_detail", pk=ticket.pk)


@login_required
@require_GET
def csat_report(request: HttpRequest) -> HttpResponse:
    """/csat/ — managers: average and distribution by tier, category and agent for a period."""
    if not selectors.csat_can_read_reports(user=_user(request)):
        raise PermissionDenied(_("Only managers can see satisfaction reports."))
    form = forms.PeriodForm(request.GET or None)
    start_day, end_day = form.period()
    zone = timezone.get_current_timezone()
    start = datetime.combine(start_day, time.min, tzinfo=zone)
    end = datetime.combine(end_day + timedelta(days=1), time.min, tzinfo=zone)
    summary = selectors.csat_summary(start=start, end=end)
    return render(
        request,
        "csat/report.html",
        {
            "form": form,
            "summary": summary,
            "start_day": start_day,
            "end_day": end_day,
            "groups": [
                (_("By tier"), summary.by_tier),
                (_("By category"), summary.by_category),
                (_("By agent"), summary.by_agent),
            ],
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
