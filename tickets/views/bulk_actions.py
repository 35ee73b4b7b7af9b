"""One action on many tickets from the console (tickets/bulk.py runs each)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from accounts.models import Role, User
from helpdesk.errors import DomainError
from helpdesk.redirects import same_site_path
from tickets.bulk import (
    BULK_ACTIONS,
    MAX_BULK_IDS,
    BulkArgs,
    BulkOutcome,
    tickets_bulk_apply,
)
from tickets.forms import LimitedTextField
from tickets.models import Category, Priority
from tickets.models_choices import REASON_MAX_LENGTH, TEXT_MAX_LENGTH
from tickets.selectors import parse_reference
from tickets.views.base import int_param, staff_required


class BulkForm(forms.Form):
    """The console's bulk bar (and each row's "Take" button): parses; tickets.bulk decides."""

    action = forms.ChoiceField(choices=list(BULK_ACTIONS.items()))
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    assignee = forms.ModelChoiceField(
        queryset=User.objects.filter(role=Role.AGENT, is_active=True), required=False
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True), required=False
    )
    priority = forms.TypedChoiceField(
        choices=[("", "—"), *Priority.choices], coerce=int, required=False, empty_value=None
    )
    # Labelled: the bar shows one error, and "at most 2000 characters" alone did not say of what.
    reason = LimitedTextField(label=gettext_lazy("Reason"), required=False, limit=REASON_MAX_LENGTH)
    summary = LimitedTextField(
        label=gettext_lazy("Resolution summary (sent to the requester)"),
        required=False,
        limit=TEXT_MAX_LENGTH,
    )
    code = forms.CharField(required=False, max_length=20)
    into = forms.CharField(required=False, max_length=40)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any positive id is a valid choice: the service answers each (404 if not readable).
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        ids = [value for value in raw if int_param(value)]
        self.fields["ids"].choices = [(value, value) for value in ids]  # type: ignore[attr-defined]

    def bulk_args(self) -> BulkArgs:
        data = self.cleaned_data
        into = data.get("into") or ""
        return BulkArgs(
            reason=data.get("reason") or "",
            assignee=data.get("assignee"),
            category=data.get("category"),
            priority=data.get("priority"),
            summary=data.get("summary") or "",
            code=data.get("code") or "",
            into=parse_reference(into) if into.strip() else None,
        )


@require_POST
def console_bulk(request: HttpRequest) -> HttpResponse:
    """Run a bulk action on the rows ticked in the console (or a row's "Take").

    htmx: the outcome panel (each row: done, or why not), and the list refreshes itself (the
    `bulk-done` event). Without JavaScript: the same outcomes as messages, back to the list.
    """
    user = staff_required(request)
    form = BulkForm(request.POST)
    outcomes: list[BulkOutcome] = []
    error = ""
    if not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        label = form.fields[name].label if name in form.fields else None
        error = f"{label}: {errors[0]}" if label else str(errors[0])
    else:
        try:
            outcomes = tickets_bulk_apply(
                actor=user,
                action=form.cleaned_data["action"],
                ids=form.cleaned_data["ids"],
                args=form.bulk_args(),
            )
        except DomainError as refused:
            error = refused.message
    action = form.cleaned_data.get("action", "") if form.is_bound else ""
    htmx: HtmxDetails = request.htmx  # type: ignore[attr-defined]
    if htmx:
        response = render(
            request,
            "tickets/_bulk_outcome.html",
            _bulk_outcome_context(action=action, outcomes=outcomes, error=error),
        )
        if outcomes:
            response["HX-Trigger"] = "bulk-done"
        return response
    if error:
        messages.error(request, error)
        _keep_draft(
            request, ids=[value for value in request.POST.getlist("ids") if int_param(value)]
        )
    else:
        _bulk_messages(request, action=action, outcomes=outcomes)
        failed = [str(outcome.ticket_id) for outcome in outcomes if not outcome.ok]
        if failed:
            _keep_draft(request, ids=failed)
    target = request.POST.get("next", "")
    return redirect(same_site_path(request, target, default=reverse("console")))


# Without JavaScript the bar posts and the console is loaded again: what was typed and ticked
# (a reason, a summary; the rows) went with the old page. Kept here for that next console page
# when the action was refused or some rows were not done (`bulk_draft_pop`); with htmx the bar
# stays on the page as it was.
BULK_DRAFT_SESSION_KEY = "console-bulk-draft"
_DRAFT_FIELDS = ("action", "assignee", "category", "priority", "reason", "summary", "code", "into")


def _keep_draft(request: HttpRequest, *, ids: list[str]) -> None:
    draft = {name: request.POST.get(name, "") for name in _DRAFT_FIELDS}
    request.session[BULK_DRAFT_SESSION_KEY] = {**draft, "ids": ids[:MAX_BULK_IDS]}


def bulk_draft_pop(request: HttpRequest) -> dict[str, Any]:
    """The bulk bar's values and ticked rows kept by a refused post (empty: none), once."""
    draft = request.session.pop(BULK_DRAFT_SESSION_KEY, None)
    return draft if isinstance(draft, dict) else {}


def _bulk_outcome_context(
    *, action: str, outcomes: list[BulkOutcome], error: str
) -> dict[str, Any]:
    done = sum(1 for outcome in outcomes if outcome.ok)
    return {
        "summary": _bulk_summary(BULK_ACTIONS.get(action, ""), done, len(outcomes) - done),
        "outcomes": outcomes,
        "error": error,
        "ticket_url": reverse("ticket_detail", args=[0]).removesuffix("0/"),
    }


def _bulk_messages(request: HttpRequest, *, action: str, outcomes: list[BulkOutcome]) -> None:
    context = _bulk_outcome_context(action=action, outcomes=outcomes, error="")
    messages.info(request, context["summary"])
    for outcome in outcomes:
        if not outcome.ok:
            messages.error(request, f"{outcome.reference}: {outcome.message}")


def _bulk_summary(label: Any, done: int, failed: int) -> str:
    # Each count agrees with its own noun (Spanish: "1 hecho", "2 hechos").
    return _("%(action)s: %(done)s, %(failed)s.") % {
        "action": label,
        "done": ngettext("%(count)d done", "%(count)d done", done) % {"count": done},
        "failed": ngettext("%(count)d not done", "%(count)d not done", failed) % {"count": failed},
    }
