"""HTML pages of the breach register: security officers write, managers read, others 404."""

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from breaches import forms, selectors, services
from breaches.display import value_display
from breaches.models import EDITABLE_FIELDS, Breach
from helpdesk.csv_export import csv_response
from helpdesk.errors import DomainError
from helpdesk.ids import parse_id
from helpdesk.redirects import same_site_path
from idempotency.decorators import idempotent_form
from tickets.selectors import parse_reference, ticket_get_for_breach_link, ticket_get_for_user
from tickets.views.page import render_ticket

ACTION_FORMS: dict[str, type[django_forms.Form]] = {
    "notify": forms.NotifyAuthorityForm,
    "not_notifying": forms.NotNotifyingForm,
    "subjects_decision": forms.SubjectsDecisionForm,
    "subjects_communication": forms.SubjectsCommunicationForm,
    "note": forms.NoteForm,
    "evidence": forms.EvidenceForm,
    "link_ticket": forms.LinkTicketForm,
}

REGISTER_LIMIT = 200  # records on the register page; the CSV has them all


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require_reader(request: HttpRequest) -> None:
    if not selectors.breach_can_read(user=_user(request)):
        raise Http404(_("No such page."))


def _require_officer(request: HttpRequest) -> None:
    _require_reader(request)
    if not selectors.breach_can_change(user=_user(request)):
        raise PermissionDenied(
            _("Managers read the breach register; only security officers change it.")
        )


@login_required
@require_GET
def breach_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    form = forms.BreachListForm(request.GET or None)
    # A refused filter is said above the whole register (400), not applied as if it were.
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    # One more than shown, to say when older records are left out (no count query): past 200
    # the oldest silently disappeared from the register.
    breaches = list(
        selectors.breach_list(
            user=_user(request), status=data.get("status", ""), search=data.get("q", "")
        )[: REGISTER_LIMIT + 1]
    )
    return render(
        request,
        "breaches/list.html",
        {
            "form": form,
            "breaches": breaches[:REGISTER_LIMIT],
            "more": len(breaches) > REGISTER_LIMIT,
            "limit": REGISTER_LIMIT,
            "can_change": selectors.breach_can_change(user=_user(request)),
            "now": timezone.now(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent_form  # a second click must not open a second record (and a second 72-hour clock)
def breach_create(request: HttpRequest) -> HttpResponse:
    _require_officer(request)
    form = forms.BreachCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            breach = services.breach_create(actor=_user(request), **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The breach record is open; the clock is running."))
            return redirect("breach-detail", breach_id=breach.pk)
    return render(
        request, "breaches/create.html", {"form": form}, status=400 if form.errors else 200
    )


def _render_detail(
    request: HttpRequest, breach: Breach, bound: dict[str, django_forms.Form] | None = None
) -> HttpResponse:
    can_change = selectors.breach_can_change(user=_user(request))
    action_forms = {}
    if can_change:
        action_forms = {name: cls() for name, cls in ACTION_FORMS.items()}
        action_forms["notify"].initial = {
            "notified_at": timezone.localtime().replace(second=0, microsecond=0)
        }
        action_forms.update(bound or {})
    return render(
        request,
        "breaches/detail.html",
        {
            "breach": breach,
            "history": selectors.breach_history(breach=breach),
            "can_change": can_change,
            "forms": action_forms,
            "now": timezone.now(),
        },
        status=400 if bound else 200,
    )


@login_required
@require_GET
def breach_detail(request: HttpRequest, breach_id: int) -> HttpResponse:
    breach = selectors.breach_detail(user=_user(request), breach_id=breach_id)
    return _render_detail(request, breach)


@login_required
@require_http_methods(["GET", "POST"])
def breach_edit(request: HttpRequest, breach_id: int) -> HttpResponse:
    """The register fields. The form carries the breach's version as loaded: a field a colleague
    changed since keeps their value unless the editor changed it too, which is a 409 naming it
    (services.breach_update)."""
    breach = selectors.breach_get_for_user(user=_user(request), breach_id=breach_id)
    _require_officer(request)
    if request.method != "POST":
        form = forms.BreachForm(instance=breach)
        version = selectors.breach_version(breach=breach)
        return _render_edit(request, breach, form, version=version)
    raw_version = request.POST.get("version", "")
    loaded = parse_id(raw_version)
    # What the editor's form was filled with: their changes are what differs from it.
    initial = (
        selectors.breach_values_at(breach=breach, version=loaded) if loaded is not None else {}
    )
    form = forms.BreachForm(request.POST, instance=breach, initial=initial)
    if raw_version and loaded is None:
        form.add_error(None, _("The record's version is not valid: open it again."))
    elif form.is_valid():
        try:
            # A fresh instance: the form's one has been mutated by validation.
            fresh = selectors.breach_get_for_user(user=_user(request), breach_id=breach_id)
            services.breach_update(
                breach=fresh,
                actor=_user(request),
                expected_version=loaded,
                **form.changed_values(),
            )
        except services.BreachChangedError as exc:
            _show_conflict(request, form, exc)
            return _render_edit(request, breach, form, version=exc.version, status=409)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("breach-detail", breach_id=breach.pk)
    return _render_edit(request, breach, form, version=loaded, status=400)


def _render_edit(
    request: HttpRequest,
    breach: Breach,
    form: forms.BreachForm,
    *,
    version: int | None,
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "breach": breach, "version": version}
    return render(request, "breaches/edit.html", context, status=status)


def _show_conflict(
    request: HttpRequest, form: forms.BreachForm, exc: "services.BreachChangedError"
) -> None:
    """The form again: the editor's changes as typed, every other field as the record is now
    (saving again must not undo a colleague's change the editor left alone), the message naming
    each field both changed and what the colleague saved."""
    mine = set(form.changed_values())
    now = selectors.breach_get_for_user(user=_user(request), breach_id=form.instance.pk)
    current = forms.BreachForm(instance=now)
    data = request.POST.copy()
    for name in EDITABLE_FIELDS:
        if name not in mine:
            data.setlist(name, [current[name].value()])
    form.data = data
    form.add_error(None, exc.message)
    for conflict in exc.conflicts:
        form.add_error(
            conflict.field,
            _("Saved meanwhile as “%(value)s”.")
            % {
                "value": value_display(
                    conflict.field, conflict.theirs, empty=_("(empty)"), limit=200
                )
            },
        )


def _run_action(user: User, breach: Breach, name: str, data: dict[str, Any]) -> str:
    """Call the one service behind an action form; returns the success message."""
    runners: dict[str, Callable[[], object]] = {
        "notify": lambda: services.breach_notify_authority(breach=breach, actor=user, **data),
        "not_notifying": lambda: services.breach_decide_not_to_notify(
            breach=breach, actor=user, reason=data["reason"]
        ),
        "subjects_decision": lambda: services.breach_decide_subjects(
            breach=breach, actor=user, **data
        ),
        "subjects_communication": lambda: services.breach_record_subjects_communication(
            breach=breach, actor=user, **data
        ),
        "note": lambda: services.breach_add_note(breach=breach, actor=user, body=data["body"]),
        "evidence": lambda: services.breach_add_evidence(
            breach=breach, actor=user, files=[data["file"]]
        ),
        "link_ticket": lambda: _link(user=user, breach=breach, reference=data["ticket"]),
    }
    runners[name]()
    return _("Saved.")


def _link(*, user: User, breach: Breach, reference: str) -> None:
    ticket_id = parse_reference(reference)
    if ticket_id is None:
        raise DomainError(_("Enter a ticket reference such as INC-000123."), field="ticket")
    try:
        ticket = ticket_get_for_breach_link(user=user, ticket_id=ticket_id)
    except Http404:
        raise DomainError(_("No such ticket."), field="ticket") from None
    services.breach_link_ticket(breach=breach, actor=user, ticket=ticket)


@login_required
@require_POST
@idempotent_form  # a second click must not record a note or a notification twice
def breach_action(request: HttpRequest, breach_id: int, name: str) -> HttpResponse:
    breach = selectors.breach_get_for_user(user=_user(request), breach_id=breach_id)
    _require_officer(request)
    if name not in ACTION_FORMS:
        raise Http404
    form = ACTION_FORMS[name](request.POST, request.FILES)
    if form.is_valid():
        try:
            message = _run_action(_user(request), breach, name, dict(form.cleaned_data))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, message)
            return redirect("breach-detail", breach_id=breach.pk)
    detail = selectors.breach_detail(user=_user(request), breach_id=breach_id)
    return _render_detail(request, detail, bound={name: form})


@login_required
@require_GET
def breach_evidence_download(
    request: HttpRequest, breach_id: int, attachment_id: int
) -> FileResponse:
    attachment = selectors.breach_attachment_for_user(
        user=_user(request), breach_id=breach_id, attachment_id=attachment_id
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type="application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def breach_export(request: HttpRequest, breach_id: int) -> HttpResponse:
    """One breach as a printable document with the fields the AEPD notification form asks."""
    breach = selectors.breach_detail(user=_user(request), breach_id=breach_id)
    lang = request.GET.get("lang", "")
    if lang not in ("en", "es"):
        lang = translation.get_language() or "en"
    with translation.override(lang):
        return render(
            request,
            "breaches/export.html",
            {"breach": breach, "lang": lang, "now": timezone.now()},
        )


@login_required
@require_GET
def breach_register_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    _require_reader(request)
    header = [
        _("reference"),
        _("title"),
        _("status"),
        _("became aware at"),
        _("notify the authority by"),
        _("first notified at"),
        _("authority notification"),
        _("late"),
        _("nature"),
        _("risk level"),
        _("approximate number of people affected"),
        _("approximate number of records affected"),
        _("telling the people affected"),
        _("linked tickets"),
    ]
    now = timezone.now()
    rows = []
    for breach in selectors.breach_register_rows(user=_user(request)):
        first = getattr(breach, "first_notified_at", None)
        rows.append(
            [
                breach.reference,
                breach.title,
                breach.get_status_display(),
                breach.aware_at,  # times in the user's zone, as the register page shows them
                breach.notify_due_at,
                first,
                breach.get_authority_decision_display(),
                _("yes") if breach.is_overdue(now=now) else _("no"),
                " / ".join(breach.nature_labels),
                breach.get_risk_level_display(),
                breach.subjects_approx,
                breach.records_approx,
                breach.get_subjects_decision_display(),
                getattr(breach, "ticket_count", 0),
            ]
        )
    return csv_response(filename="breach-register.csv", header=header, rows=rows, stream=False)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_flag(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The "flag as suspected data breach" form on the ticket page. A GET of this address (a
    reload or a language switch on the page a refused flag showed) goes to the ticket page."""
    if request.method == "GET":
        return redirect("ticket_detail", pk=ticket_id)
    ticket = selectors.ticket_for_flagging(user=_user(request), ticket_id=ticket_id)
    form = forms.FlagForm(request.POST)
    next_url = same_site_path(request, request.POST.get("next", ""), default="/")
    if not form.is_valid():
        # The ticket page again, the form open with its error and what was typed.
        page_ticket = ticket_get_for_user(user=_user(request), ticket_id=ticket.pk)
        return render_ticket(request, page_ticket, bound={"breach_flag": form}, status=400)
    try:
        services.breach_flag_ticket(
            ticket=ticket, actor=_user(request), description=form.cleaned_data["description"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Reported to the security officers as a suspected data breach.")
        )
    return redirect(next_url)
