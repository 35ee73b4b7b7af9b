"""The web UI: the requester's portal, the anonymous tracking page and the agent console.

Views parse input, call one service or selector, and render. Every ticket is read through the
gate (`ticket_get_for_user`, or the secret tracking token); a refused transition becomes a
message and the page shows the ticket's current state.
"""

import dataclasses
import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import TransitionNotAllowed
from django_htmx.middleware import HtmxDetails

from accounts.models import Role, User
from escalation.models import Tier
from escalation.selectors import agent_tiers
from helpdesk import ratelimit
from helpdesk.errors import ConflictError, DomainError
from helpdesk.uploads import STORED_TYPES
from idempotency.decorators import idempotent_form
from incidents.selectors import current_major_incidents
from kb.selectors import articles_search
from knowledge.selectors import canned_responses_for_ticket
from savedviews.selectors import saved_view_default_for
from sla.selectors import ticket_sla_status
from tickets import guests, live, services
from tickets.bulk import BULK_ACTIONS, BulkArgs, BulkOutcome, tickets_bulk_apply
from tickets.collisions import TicketChangedError, TicketVersion, parse_version
from tickets.forms import (
    URGENCY_FOR_REQUESTER,
    AttachmentForm,
    ReplyForm,
    TicketCreateForm,
    TriageForm,
    category_tree_choices,
    triage_priority,
)
from tickets.models import (
    Attachment,
    Category,
    ClosureCode,
    Comment,
    EventKind,
    Kind,
    Level,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.models_choices import (
    ACTIVE_STATES,
    IMPACT_LABELS,
    OPEN_STATES,
    RESOLUTION_CODES,
    URGENCY_LABELS,
)
from tickets.presence import heartbeat_seconds, presence_heartbeat, presence_leave
from tickets.selectors import (
    INTERNAL_STEPS,
    TicketFilters,
    category_tree,
    event_reason_for_user,
    parse_reference,
    ticket_comments_for_user,
    ticket_events_for_user,
    ticket_get_by_tracking_token,
    ticket_get_for_user,
    ticket_list,
)
from tickets.transition_table import (
    BY_NAME,
    button_for,
    event_label,
    transition_form,
)
from tickets.transitions import allowed_transitions


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: User  # type: ignore[assignment]


PAGE_SIZE = 25
GUEST_LIST_SIZE = 20  # unclaimed guest tickets listed in the banner of "My tickets"
COUNT_CAP = 999  # the tab badges show "999+" beyond this: counting stays bounded
COUNTS_CACHE_SECONDS = 15

# Status in plain words, for requesters.
REQUESTER_STATUS: dict[str, Any] = {
    Status.NEW: gettext_lazy("Received"),
    Status.LOGGED: gettext_lazy("Received"),
    Status.CATEGORIZED: gettext_lazy("Received"),
    Status.PRIORITIZED: gettext_lazy("Waiting for an agent"),
    Status.IN_DIAGNOSIS: gettext_lazy("An agent is working on it"),
    Status.ESCALATED: gettext_lazy("Passed to a specialist team"),
    Status.ON_HOLD: gettext_lazy("Waiting for your reply"),
    Status.RESOLVED: gettext_lazy("Solved: please confirm"),
    Status.CLOSED: gettext_lazy("Closed"),
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _tracking_guarded(view: Callable[..., Any]) -> Callable[..., Any]:
    """Views reached by a secret tracking link: wrong guesses are counted per address, and an
    address over its budget gets a 429 (even for a right token) until the window passes."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("token") is None:
            return view(request, *args, **kwargs)
        rate = ratelimit.tracking_misses_rate()
        if ratelimit.exceeded("tracking", request, rate=rate):
            return ratelimit.too_many_requests(request, rate=rate)
        try:
            return view(request, *args, **kwargs)
        except Http404:
            ratelimit.hit("tracking", request, rate=rate)
            raise

    return guarded


# --- home and the requester's side ---------------------------------------------------------


PORTAL_LIST_SIZE = 5


def home(request: HttpRequest) -> HttpResponse:
    """Where everyone lands after signing in: the console for support staff, the breach register
    for security officers, the portal home for customers."""
    user = _user(request)
    if not user.is_authenticated:
        return redirect("login")
    if user.is_staff_member:
        return redirect("console")
    if user.is_security_officer:
        return redirect("breach-list")
    # The customer's portal: search the knowledge base, a new request, their open tickets,
    # the service status and the latest articles in their language.
    tickets = list(
        ticket_list(user=user, filters=TicketFilters(requester=user.pk))
        .select_related(None)
        .prefetch_related(None)  # no SLA clocks: the portal shows the plain status
        .filter(status__in=OPEN_STATES)
        .order_by("-id")[:PORTAL_LIST_SIZE]
    )
    for ticket in tickets:
        ticket.plain_status = REQUESTER_STATUS[ticket.status]  # type: ignore[attr-defined]
    language = translation.get_language() or settings.LANGUAGE_CODE
    return render(
        request,
        "tickets/portal.html",
        {
            "tickets": tickets,
            "incidents": current_major_incidents(),
            "articles": list(
                articles_search(user=user, text="", language=language[:2])[:PORTAL_LIST_SIZE]
            ),
        },
    )


@idempotent_form
def ticket_new(request: HttpRequest) -> HttpResponse:
    """The web form; anonymous visitors give an email and follow the ticket by a secret link.

    Post/Redirect/Get: a filed ticket redirects to its "thank you" page (`ticket_created`),
    which a reload shows again without filing anything."""
    user = _user(request)
    anonymous = not user.is_authenticated
    rate = ratelimit.public_form_rate()
    if anonymous and request.method == "POST" and ratelimit.exceeded("form", request, rate=rate):
        return ratelimit.too_many_requests(request, rate=rate)
    form = TicketCreateForm(request.POST or None, request.FILES or None, anonymous=anonymous)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if anonymous:
                # A known address (an account's, staff's) files a guest ticket: nothing of the
                # account is used or shown (tickets/guests.py).
                requester = guests.requester_for_public_form(
                    email=data["email"],
                    name=data["name"],
                    language=request.LANGUAGE_CODE,  # type: ignore[attr-defined]
                )
            else:
                requester = user
            ticket = services.ticket_create(
                requester=requester,
                title=data["title"],
                description=data["description"],
                urgency=data["urgency"],
                category=data["category"],
                affected=data["affected"],
                contact_name=data.get("name", ""),
                # Stored normalised, as account addresses are: guest tickets are found by it.
                contact_email=guests.address_key(data.get("email", "")),
                files=data["attachments"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            if anonymous:
                ratelimit.hit("form", request, rate=rate)
                return redirect("tracking_created", token=ticket.tracking_token)
            return redirect("ticket_created", pk=ticket.pk)
    status = 400 if form.is_bound else 200
    return render(request, "tickets/new.html", {"form": form}, status=status)


@require_GET
@_tracking_guarded
def ticket_created(
    request: HttpRequest, pk: int | None = None, token: str | None = None
) -> HttpResponse:
    """The "thank you" page after the web form: a GET, so reloading it files nothing."""
    if token is not None:
        ticket = ticket_get_by_tracking_token(token=token)
    elif request.user.is_authenticated:
        ticket = ticket_get_for_user(user=_user(request), ticket_id=pk or 0)
    else:
        return redirect(f"{reverse('login')}?next={request.get_full_path()}")
    return render(
        request,
        "tickets/created.html",
        {
            "ticket": ticket,
            "anonymous": token is not None,
            "tracking_url": request.build_absolute_uri(
                reverse("tracking", args=[ticket.tracking_token])
            ),
        },
    )


@login_required
def my_tickets(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    show = request.GET.get("show", "open")
    tickets = ticket_list(user=user, filters=TicketFilters(requester=user.pk)).select_related(None)
    if show == "open":
        tickets = tickets.filter(status__in=OPEN_STATES)
    elif show == "closed":
        tickets = tickets.filter(status=Status.CLOSED)
    before = _int(request.GET.get("before"))
    if before:
        tickets = tickets.filter(pk__lt=before)
    rows = list(tickets.order_by("-id")[: PAGE_SIZE + 1])
    next_before = rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None
    rows = rows[:PAGE_SIZE]
    for ticket in rows:
        ticket.plain_status = REQUESTER_STATUS[ticket.status]  # type: ignore[attr-defined]
    # Requests sent from the public form under this account's address, waiting to be claimed.
    unclaimed = list(
        guests.guest_tickets_for(user=user).only("id", "kind", "title")[:GUEST_LIST_SIZE]
    )
    return render(
        request,
        "tickets/my_tickets.html",
        {"tickets": rows, "show": show, "next_before": next_before, "unclaimed": unclaimed},
    )


# --- the ticket page -------------------------------------------------------------------------


@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = ticket_get_for_user(user=_user(request), ticket_id=pk)
    return _render_ticket(request, ticket)


@_tracking_guarded
def tracking(request: HttpRequest, token: str) -> HttpResponse:
    """The anonymous requester's page: whoever holds the secret link acts as the requester."""
    ticket = ticket_get_by_tracking_token(token=token)
    return _render_ticket(request, ticket, tracking=True)


@dataclasses.dataclass
class TimelineItem:
    at: datetime
    kind: str  # "comment" | "event" | "merged" (a duplicate merged into this ticket)
    internal: bool
    comment: Comment | None = None
    merged: Ticket | None = None
    from_ref: str = ""  # the duplicate this item comes from, shown "from INC-…"
    event: TicketEvent | None = None
    label: Any = ""
    status_label: Any = ""
    reason: str = ""
    changes: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    attachments: list[Attachment] = dataclasses.field(default_factory=list)


def _render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    *,
    tracking: bool = False,
    bound: dict[str, forms.Form] | None = None,
    changed: TicketChangedError | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer = ticket.requester if tracking else _user(request)
    # Through the secret link the reader is the public: never internal notes, files or reasons.
    staff = viewer.is_staff_member and not tracking
    reader: Any = viewer if not tracking else AnonymousUser()
    comments = list(
        ticket_comments_for_user(user=reader, ticket=ticket).prefetch_related(None)
    )  # the comments (with their authors)
    attachments = _attachments_for(ticket=ticket, staff=staff)  # every file, one query
    by_comment: dict[int | None, list[Attachment]] = {}
    for attachment in attachments:
        by_comment.setdefault(attachment.comment_id, []).append(attachment)
    events = list(ticket_events_for_user(user=reader, ticket=ticket))  # with their actors
    timeline = [
        TimelineItem(
            at=c.created_at,
            kind="comment",
            internal=c.is_internal,
            comment=c,
            attachments=by_comment.get(c.pk, []),
        )
        for c in comments
    ]
    timeline.extend(_merged_items(ticket=ticket, staff=staff))  # one query, or three
    names = _names_for_changes(events) if staff else {}
    for event in events:
        item = _event_item(event=event, reader=reader, staff=staff, names=names)
        if item is not None:
            timeline.append(item)
    timeline.sort(key=lambda item: (item.at, item.kind == "comment"))

    allowed = allowed_transitions(ticket=ticket, user=viewer)
    bound = bound or {}
    base = (
        reverse("tracking", args=[ticket.tracking_token])
        if tracking
        else reverse("ticket_detail", args=[ticket.pk])
    )
    context: dict[str, Any] = {
        "ticket": ticket,
        "timeline": timeline,
        "files": by_comment.get(None, []),
        "all_files": attachments,
        "base": base,
        "tracking": tracking,
        "viewer": viewer,
        "reply_form": bound.get("reply") or ReplyForm(prefix="reply"),
        "attach_form": bound.get("attach") or AttachmentForm(prefix="attach"),
    }
    actions = [
        {
            "name": name,
            "label": button.label,
            "style": button.style,
            "form": bound.get(name)
            or transition_form(name, tier=ticket.tier, staff=staff, ticket=ticket),
        }
        for name in allowed
        if (button := button_for(name, staff=staff)) is not None
    ]
    if staff:
        context.update(
            actions=actions,
            # The reply form carries what this page shows (after a refused reply: the version
            # its list of changes ends at, so "send anyway" covers exactly what was shown).
            reply_version=changed.version
            if changed
            else TicketVersion.of(comments=comments, events=events),
            changed=_changed_items(changed, reader=reader, files=bool(request.FILES))
            if changed
            else None,
            presence_seconds=heartbeat_seconds(),
            read_only=not viewer.is_agent,
            first_action=actions[0]["name"]
            if actions and not bound and actions[0]["name"] in ("triage", "take", "resume")
            else "",
            canned=canned_responses_for_ticket(ticket=ticket, agent=viewer)
            if viewer.is_agent
            else [],
            **_triage_context(ticket, actions),
        )
        template = "tickets/agent_ticket.html"
    else:
        context.update(
            actions=actions,
            plain_status=REQUESTER_STATUS[ticket.status],
            merged_into=_merged_into_for_requester(ticket),
        )
        template = "tickets/requester_ticket.html"
    return render(request, template, context, status=status)


def _merged_into_for_requester(ticket: Ticket) -> Ticket | None:
    """Where a duplicate went, for its requester: only when that ticket is theirs too."""
    if ticket.merged_into_id is None:
        return None
    target = ticket.merged_into
    return target if target and target.requester_id == ticket.requester_id else None


def _merged_visibility(*, ticket: Ticket, staff: bool) -> Q:
    """Which duplicates merged into `ticket` a reader of it sees: staff all; anyone else (the
    requester, a colleague their organisation shares with, the tracking link) only those with
    the same requester — never another person's words or files."""
    visible = Q(merged_into=ticket)
    return visible if staff else visible & Q(requester_id=ticket.requester_id)


def _merged_items(*, ticket: Ticket, staff: bool) -> list[TimelineItem]:
    """The duplicates merged into this ticket, each as its opening message, its comments and
    their files, marked "from INC-…". Internal notes and files only for staff."""
    merged = list(
        Ticket.objects.filter(_merged_visibility(ticket=ticket, staff=staff))
        .select_related("requester")
        .order_by("pk")
    )
    if not merged:
        return []
    comments = Comment.objects.filter(ticket__in=merged).select_related("author")
    files = Attachment.objects.filter(ticket__in=merged).order_by("created_at", "id")
    if not staff:
        comments = comments.filter(is_internal=False)
        files = files.filter(is_internal=False)
    by_comment: dict[int, list[Attachment]] = {}
    by_ticket: dict[int, list[Attachment]] = {}
    for attachment in files:
        if attachment.comment_id:
            by_comment.setdefault(attachment.comment_id, []).append(attachment)
        else:
            by_ticket.setdefault(attachment.ticket_id, []).append(attachment)
    references = {t.pk: t.reference for t in merged}
    items = [
        TimelineItem(
            at=t.created_at,
            kind="merged",
            internal=False,
            merged=t,
            attachments=by_ticket.get(t.pk, []),
            from_ref=t.reference,
        )
        for t in merged
    ]
    items.extend(
        TimelineItem(
            at=c.created_at,
            kind="comment",
            internal=c.is_internal,
            comment=c,
            attachments=by_comment.get(c.pk, []),
            from_ref=references[c.ticket_id],
        )
        for c in comments
    )
    return items


def _attachments_for(*, ticket: Ticket, staff: bool) -> list[Attachment]:
    files = Attachment.objects.filter(ticket=ticket).order_by("created_at", "id")
    if not staff:
        files = files.filter(is_internal=False)
    return list(files)


def _names_for_changes(events: list[TicketEvent]) -> dict[str, dict[int, str]]:
    """Names of the users and categories that events' changes refer to: at most two queries."""
    user_ids, category_ids = set(), set()
    for event in events:
        for value in event.changes.get("assignee_id", []):
            if value:
                user_ids.add(value)
        for value in event.changes.get("category_id", []):
            if value:
                category_ids.add(value)
    names: dict[str, dict[int, str]] = {"assignee_id": {}, "category_id": {}}
    if user_ids:
        names["assignee_id"] = {u.pk: u.name for u in User.objects.filter(pk__in=user_ids)}
    if category_ids:
        names["category_id"] = {
            c.pk: c.path
            for c in Category.objects.filter(pk__in=category_ids).select_related("parent")
        }
    return names


CHANGE_LABELS: dict[str, Any] = {
    "kind": gettext_lazy("kind"),
    "title": gettext_lazy("title"),
    "category_id": gettext_lazy("category"),
    "impact": gettext_lazy("impact"),
    "urgency": gettext_lazy("urgency"),
    "priority": gettext_lazy("priority"),
    "tier": gettext_lazy("tier"),
    "assignee_id": gettext_lazy("assignee"),
    "closure_code": gettext_lazy("closure code"),
    "merged_into_id": gettext_lazy("merged into"),
    "merged_ticket_id": gettext_lazy("duplicate merged in"),
}
CHOICES: dict[str, Callable[[Any], Any]] = {
    "kind": lambda v: Kind(v).label,
    "impact": lambda v: IMPACT_LABELS[Level(v)],
    "urgency": lambda v: URGENCY_LABELS[Level(v)],
    "priority": lambda v: Priority(v).label,
    "tier": lambda v: Tier(v).label,
    "closure_code": lambda v: ClosureCode(v).label,
    "merged_into_id": lambda v: f"#{v}",
    "merged_ticket_id": lambda v: f"#{v}",
}


def _event_item(
    *, event: TicketEvent, reader: Any, staff: bool, names: dict[str, dict[int, str]]
) -> TimelineItem | None:
    if not staff and event.transition in INTERNAL_STEPS:
        return None
    if event.kind == EventKind.CREATED:
        label = _("opened the ticket")
    elif event.kind == EventKind.TRANSITION:
        label = event_label(event.transition)
    elif not staff:
        return None  # field changes, SLA and management events are for the support team
    else:
        label = event.get_kind_display()
    changes = []
    if staff:
        for field, pair in event.changes.items():
            # Only [old, new] pairs of known fields: call events record other shapes.
            if field not in CHANGE_LABELS or not isinstance(pair, list | tuple) or len(pair) != 2:
                continue
            old, new = pair
            changes.append(
                (
                    str(CHANGE_LABELS[field]),
                    _change_value(field, old, names),
                    _change_value(field, new, names),
                )
            )
    status_label: Any = ""
    if event.to_status and event.from_status != event.to_status:
        status_label = event.get_to_status_display() if staff else REQUESTER_STATUS[event.to_status]
    return TimelineItem(
        at=event.created_at,
        kind="event",
        status_label=status_label,
        internal=event.kind not in (EventKind.CREATED, EventKind.TRANSITION),
        event=event,
        label=label,
        reason=event_reason_for_user(user=reader, event=event),
        changes=changes,
    )


def _change_value(field: str, value: Any, names: dict[str, dict[int, str]]) -> str:
    if value in (None, ""):
        return "—"
    if field in names:
        return names[field].get(value, f"#{value}")
    try:
        return str(CHOICES[field](value)) if field in CHOICES else str(value)
    except ValueError:
        return str(value)


# --- writes on a ticket ------------------------------------------------------------------------


def _ticket_for_write(
    request: HttpRequest, pk: int | None, token: str | None
) -> tuple[Ticket, User, bool]:
    """The ticket, who acts, and whether as staff (never through the secret link)."""
    if token is not None:
        ticket = ticket_get_by_tracking_token(token=token)
        return ticket, ticket.requester, False
    if not request.user.is_authenticated:
        raise Http404
    user = _user(request)
    return ticket_get_for_user(user=user, ticket_id=pk or 0), user, user.is_staff_member


def _back(ticket: Ticket, tracking: bool) -> HttpResponse:
    if tracking:
        return redirect("tracking", token=ticket.tracking_token)
    return redirect("ticket_detail", pk=ticket.pk)


@require_POST
@_tracking_guarded
@idempotent_form
def ticket_transition(
    request: HttpRequest, name: str, pk: int | None = None, token: str | None = None
) -> HttpResponse:
    ticket, actor, staff = _ticket_for_write(request, pk, token)
    tracking = token is not None
    row = BY_NAME.get(name)
    if row is None or button_for(name, staff=staff) is None:
        raise Http404
    if name not in allowed_transitions(ticket=ticket, user=actor):
        _refused(request, ticket, _("You cannot do this now."), staff=staff)
        return _back(ticket, tracking)
    form = transition_form(name, data=request.POST, tier=ticket.tier, staff=staff)
    if not form.is_valid():
        return _render_ticket(request, ticket, tracking=tracking, bound={name: form}, status=400)
    data = form.cleaned_data
    try:
        row.run(ticket, actor, data)
    except (TransitionNotAllowed, ConflictError):
        _refused(request, ticket, _("Someone else changed this ticket first."), staff=staff)
        return _back(ticket, tracking)
    except PermissionDenied as error:
        _refused(request, ticket, str(error) or _("You are not allowed to do this."), staff=staff)
        return _back(ticket, tracking)
    except DomainError as error:
        _form_error(form, error)
        return _render_ticket(request, ticket, tracking=tracking, bound={name: form}, status=400)
    messages.success(request, str(row.done))
    return _back(ticket, tracking)


def _refused(request: HttpRequest, ticket: Ticket, why: str, *, staff: bool) -> None:
    ticket.refresh_from_db(fields=["status", "tier", "assignee"])
    status = ticket.get_status_display() if staff else REQUESTER_STATUS[ticket.status]
    messages.error(
        request,
        _("%(why)s The ticket is now: %(status)s.") % {"why": why, "status": status},
    )


def _form_error(form: forms.Form, error: DomainError) -> None:
    name = "attachments" if error.field == "files" else error.field  # the services say "files"
    field = name if name in form.fields else None
    form.add_error(field, error.message)


@require_POST
@_tracking_guarded
@idempotent_form
def ticket_reply(
    request: HttpRequest, pk: int | None = None, token: str | None = None
) -> HttpResponse:
    ticket, actor, staff = _ticket_for_write(request, pk, token)
    tracking = token is not None
    form = ReplyForm(request.POST, request.FILES, prefix="reply")
    if form.is_valid():
        try:
            version = form.cleaned_data["version"]
            comment = services.comment_create(
                ticket=ticket,
                actor=actor,
                body=form.cleaned_data["body"],
                is_internal=form.cleaned_data["is_internal"] and staff,
                files=form.cleaned_data["attachments"],
                expected_version=parse_version(version, field=None) if version and staff else None,
            )
        except TicketChangedError as changed:
            # Nothing saved: the page again, the text kept, what changed above the form.
            return _render_ticket(
                request,
                ticket,
                tracking=tracking,
                bound={"reply": form},
                changed=changed,
                status=409,
            )
        except PermissionDenied as error:
            _refused(request, ticket, str(error), staff=staff)
            return _back(ticket, tracking)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("Internal note added.") if comment.is_internal else _("Reply sent."),
            )
            return _back(ticket, tracking)
    return _render_ticket(request, ticket, tracking=tracking, bound={"reply": form}, status=400)


@dataclasses.dataclass
class ChangedSince:
    """What others wrote since the agent's page was rendered, shown above the reply form."""

    items: list[TimelineItem]
    files_dropped: bool  # the refused reply had files: the browser cannot keep them


def _changed_items(changed: TicketChangedError, *, reader: Any, files: bool) -> ChangedSince:
    items = [
        TimelineItem(at=c.created_at, kind="comment", internal=c.is_internal, comment=c)
        for c in changed.comments
    ]
    names = _names_for_changes(changed.events)
    for event in changed.events:
        item = _event_item(event=event, reader=reader, staff=True, names=names)
        if item is not None:
            items.append(item)
    items.sort(key=lambda item: (item.at, item.kind == "comment"))
    return ChangedSince(items=items, files_dropped=files)


@require_POST
def ticket_presence(request: HttpRequest, pk: int) -> HttpResponse:
    """The agent page's heartbeat (htmx, every HELPDESK_PRESENCE_SECONDS): records the agent on
    the ticket, typing a reply or not, and answers who else is on it. `leave=1` (the page
    closing) drops them. Support staff who may read the ticket only; 404 for anyone else."""
    user = _user(request)
    if not (user.is_authenticated and user.is_staff_member):
        # A 404 even signed out: no login page swapped into the bar, nothing revealed.
        raise Http404
    ticket = ticket_get_for_user(user=user, ticket_id=pk)
    if request.POST.get("leave") == "1":
        presence_leave(ticket_id=ticket.pk, user=user)
        return HttpResponse(status=204)
    others = presence_heartbeat(
        ticket_id=ticket.pk,
        user=user,
        # Managers read without replying: they show as viewing, never typing.
        typing=request.POST.get("typing") == "1" and user.is_agent,
    )
    response = render(request, "tickets/_presence.html", {"viewers": others})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@_tracking_guarded
@idempotent_form
def ticket_attach(
    request: HttpRequest, pk: int | None = None, token: str | None = None
) -> HttpResponse:
    ticket, actor, staff = _ticket_for_write(request, pk, token)
    tracking = token is not None
    form = AttachmentForm(request.POST, request.FILES, prefix="attach")
    if form.is_valid():
        try:
            for upload in form.cleaned_data["attachments"]:
                services.attachment_add(
                    ticket=ticket,
                    actor=actor,
                    upload=upload,
                    is_internal=form.cleaned_data["is_internal"] and staff,
                )
        except PermissionDenied as error:
            _refused(request, ticket, str(error), staff=staff)
            return _back(ticket, tracking)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Files added."))
            return _back(ticket, tracking)
    return _render_ticket(request, ticket, tracking=tracking, bound={"attach": form}, status=400)


@require_GET
@_tracking_guarded
def attachment_download(
    request: HttpRequest, attachment_id: int, pk: int | None = None, token: str | None = None
) -> FileResponse:
    """A file of a ticket the viewer may read; internal files only for support staff."""
    ticket, _viewer, staff = _ticket_for_write(request, pk, token)
    # Its own files, and those of the duplicates merged into it that the reader sees.
    merged = Ticket.objects.filter(_merged_visibility(ticket=ticket, staff=staff))
    files = Attachment.objects.filter(Q(ticket=ticket) | Q(ticket__in=merged), pk=attachment_id)
    if not staff:
        files = files.filter(is_internal=False)
    attachment = files.first()
    if attachment is None:
        raise Http404(_("No such file."))
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("No such file.")) from None
    # Always a download, never rendered inline; a type we did not sniff ourselves (older rows
    # stored the client's claim) is served as bytes.
    known = attachment.content_type in STORED_TYPES
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type if known else "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the agent console -------------------------------------------------------------------------


def _staff_required(request: HttpRequest) -> User:
    user = _user(request)
    if not user.is_authenticated:
        raise PermissionDenied
    if not user.is_staff_member:
        raise Http404
    return user


def _int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _queues_for(user: User) -> list[tuple[str, Any]]:
    """The tabs this user has: the tiers they can read, and their own tickets."""
    tiers = (
        [1, 2, 3]
        if user.role == Role.MANAGER or 1 in agent_tiers(user=user)
        else sorted(agent_tiers(user=user))
    )
    tabs: list[tuple[str, Any]] = [(f"l{t}", Tier(t).label) for t in tiers]
    if user.is_agent:
        tabs.insert(0, ("mine", _("Assigned to me")))
    return tabs


SORTS: dict[str, Any] = {
    "newest": gettext_lazy("Newest first"),
    "oldest": gettext_lazy("Oldest first"),
    "priority": gettext_lazy("Priority, then newest"),
}


@dataclasses.dataclass
class QueueParams:
    queue: str
    status: str
    kind: str
    priority: int | None
    category: int | None
    assignee: str
    sla: str
    sort: str
    q: str
    cursor: str

    def query(self, **overrides: Any) -> str:
        values = {**dataclasses.asdict(self), **overrides}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _queue_params(request: HttpRequest, user: User) -> QueueParams:
    return queue_params_from(request.GET, user=user)


def queue_params_from(get: QueryDict, *, user: User) -> QueueParams:
    """The console's filters from a query string; anything unknown or invalid is dropped."""
    tabs = dict(_queues_for(user))
    queue = get.get("queue", "")
    if queue not in tabs:
        # An agent starts on their (first) tier's queue; "mine" is one key away.
        queue = next((key for key in tabs if key != "mine"), "mine")
    status = get.get("status", "open")
    if status not in ("open", "all", *Status.values):
        status = "open"
    sort = get.get("sort", "newest")
    return QueueParams(
        queue=queue,
        status=status,
        kind=get.get("kind", "") if get.get("kind") in Kind.values else "",
        priority=_int(get.get("priority")) if _int(get.get("priority")) in range(1, 6) else None,
        category=_int(get.get("category")),
        assignee=get.get("assignee", "")
        if get.get("assignee") in ("me", "none") or _int(get.get("assignee"))
        else "",
        sla=get.get("sla", "") if get.get("sla") in ("at_risk", "breached") else "",
        sort=sort if sort in SORTS else "newest",
        q=get.get("q", "").strip()[:200],
        cursor=get.get("cursor", "").strip()[:40],
    )


def _queue_queryset(user: User, params: QueueParams) -> QuerySet[Ticket]:
    assignee: int | None = None
    unassigned = False
    if params.queue == "mine" or params.assignee == "me":
        assignee = user.pk
    elif params.assignee == "none":
        unassigned = True
    elif params.assignee:
        assignee = _int(params.assignee)
    statuses: list[str] | None
    if params.status == "open":
        # Open: someone has work to do (the dashboard's backlog). Resolved tickets wait on the
        # requester's confirmation: their own tab, "Solved (awaiting confirmation)".
        statuses = list(ACTIVE_STATES)
    elif params.status == "all":
        statuses = None
    else:
        statuses = [params.status]
    tier = int(params.queue[1]) if params.queue in ("l1", "l2", "l3") else None
    extra: dict[str, Any] = {}
    if params.sla:
        extra["sla"] = params.sla
    filters = TicketFilters(
        status=statuses,
        kind=params.kind or None,
        tier=tier,
        priority=params.priority,
        category=params.category,
        assignee=assignee,
        unassigned=unassigned,
        search=params.q,
        **extra,
    )
    return ticket_list(user=user, filters=filters)


# The columns a queue row shows: a narrow SELECT, fewer objects to build.
_PERSON = ["display_name", "first_name", "last_name", "username"]
QUEUE_COLUMNS = [
    "id",
    "kind",
    "title",
    "priority",
    "tier",
    "status",
    "created_at",
    "requester_id",
    "assignee_id",
    "category_id",
    *(f"requester__{f}" for f in _PERSON),
    *(f"assignee__{f}" for f in _PERSON),
    "category__name",
    "category__name_es",
    "category__parent_id",
    "category__parent__name",
    "category__parent__name_es",
]


TAKEABLE_STATES = (Status.PRIORITIZED, Status.ESCALATED)


def _queue_rows(
    tickets: list[Ticket], *, takes_at: frozenset[int] = frozenset()
) -> list[dict[str, Any]]:
    """Each row's words resolved once here: rendering a page of plain values is cheap.

    `takes_at`: the tiers the viewer takes tickets at (a "Take" button on those rows)."""
    statuses = {value: str(label) for value, label in Status.choices}
    priorities = {value: str(label) for value, label in Priority.choices}
    tiers = {value: str(label) for value, label in Tier.choices}
    prefix = reverse("ticket_detail", args=[0]).removesuffix("0/")
    now = timezone.now()
    return [
        {
            "pk": t.pk,
            "url": f"{prefix}{t.pk}/",
            "title": t.title,
            "reference": t.reference,
            "tier": tiers[t.tier],
            "priority": t.priority,
            "priority_label": priorities[t.priority],
            "status": t.status,
            "status_label": statuses[t.status],
            "requester": t.requester.name,
            "assignee": t.assignee.name if t.assignee_id else "",  # type: ignore[union-attr]
            "category": t.category.path if t.category_id else "",  # type: ignore[union-attr]
            "created_at": t.created_at,
            "can_take": t.tier in takes_at and t.status in TAKEABLE_STATES,
            # Running and paused clocks only, from the page's prefetched clocks (no query).
            "sla": [
                c
                for c in ticket_sla_status(ticket=t, now=now)
                if c["state"] in ("running", "paused")
            ],
        }
        for t in tickets
    ]


def _paginate(queryset: QuerySet[Ticket], params: QueueParams) -> tuple[list[Ticket], str]:
    """Keyset pagination: a deep page costs what the first one does (no OFFSET, no COUNT)."""
    cursor = params.cursor
    if params.sort == "oldest":
        queryset = queryset.order_by("id")
        if _int(cursor):
            queryset = queryset.filter(pk__gt=_int(cursor))
    elif params.sort == "priority":
        queryset = queryset.order_by("priority", "-id")
        priority, _sep, last_id = cursor.partition(".")
        if _int(priority) and _int(last_id):
            queryset = queryset.filter(
                Q(priority__gt=_int(priority)) | Q(priority=_int(priority), pk__lt=_int(last_id))
            )
    else:
        queryset = queryset.order_by("-id")
        if _int(cursor):
            queryset = queryset.filter(pk__lt=_int(cursor))  # older than ticket X
    rows = list(queryset.only(*QUEUE_COLUMNS)[: PAGE_SIZE + 1])
    next_cursor = ""
    if len(rows) > PAGE_SIZE:
        last = rows[PAGE_SIZE - 1]
        next_cursor = f"{last.priority}.{last.pk}" if params.sort == "priority" else str(last.pk)
    return rows[:PAGE_SIZE], next_cursor


def console(request: HttpRequest) -> HttpResponse:
    """The queue: tabs per tier and "mine", filters, sorting, search, keyset pages.

    An htmx request (a filter changed, the next page) gets only the results block.
    """
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.get_full_path()}")
    user = _staff_required(request)
    if not request.GET and (default := saved_view_default_for(user=user)) is not None:
        # The bare console opens the agent's default saved view (a tab or a filter adds params).
        return redirect(f"{request.path}?{default.query}")
    params = _queue_params(request, user)
    htmx: HtmxDetails = request.htmx  # type: ignore[attr-defined]
    if htmx and htmx.target == "results":
        return render(request, "tickets/_queue_results.html", _results_context(user, params))
    # The versions first: a change committed while the page renders bumps them again, and the
    # first poll then refreshes.
    versions = live.queue_versions(user=user, tiers=_tab_tiers(user))
    context = _results_context(user, params)
    counts = _queue_counts(user, queue=params.queue, versions=versions)
    context.update(
        live_etag=live.queue_etag(
            user=user, versions=versions, query=params.query(), now=live.now_seconds()
        ),
        live_seconds=live.POLL_SECONDS,
        p1_tickets=live.open_p1_tickets(user=user),
        # Each tab is a list of its own, unfiltered: its count is that list's length.
        tabs=[
            (key, label, f"?{urlencode({'queue': key})}", counts[key])
            for key, label in _queues_for(user)
        ],
        status_tabs=[
            (
                status,
                label,
                f"?{urlencode({'queue': params.queue, 'status': status})}",
                counts[key],
                key,
            )
            for status, label, key in (
                ("open", _("Open"), "open"),
                (Status.RESOLVED, _("Solved (awaiting confirmation)"), "solved"),
            )
        ],
        statuses=[("open", _("Open")), ("all", _("All")), *Status.choices],
        kinds=Kind.choices,
        priorities=Priority.choices,
        categories=category_tree_choices(category_tree()),
        agents=User.objects.filter(role=Role.AGENT, is_active=True)
        .only(*_PERSON)
        .order_by("display_name", "username"),
        sorts=list(SORTS.items()),
    )
    if user.is_agent:
        context.update(_bulk_context(user, params))
    return render(request, "tickets/console.html", context)


def _results_context(user: User, params: QueueParams) -> dict[str, Any]:
    """The rows block: a page of the queue and its pager links."""
    rows, next_cursor = _paginate(_queue_queryset(user, params), params)
    return {
        "rows": _queue_rows(rows, takes_at=agent_tiers(user=user)),
        "bulk": user.is_agent,
        "params": params,
        "next_url": f"?{params.query(cursor=next_cursor)}" if next_cursor else "",
        "first_url": f"?{params.query(cursor='')}" if params.cursor else "",
    }


def _tab_tiers(user: User) -> list[int]:
    """The tiers of the user's tabs (whose versions their console follows)."""
    return [int(key[1]) for key, _label in _queues_for(user) if key != "mine"]


def _if_none_match(request: HttpRequest) -> list[str]:
    header = request.headers.get("If-None-Match", "")
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


@require_GET
def console_live(request: HttpRequest) -> HttpResponse:
    """The live queue's poll (static/js/live.js, every live.POLL_SECONDS): 304 while the
    console's tag still matches (no query of its own), else its rows, the tab counts and the
    open P1 tickets of the agent's tiers, with the new tag. Only what the agent may read."""
    user = _staff_required(request)
    live.live_tiers(user=user)  # memoised: the tabs and the rows read no support group
    params = _queue_params(request, user)
    versions = live.queue_versions(user=user, tiers=_tab_tiers(user))
    etag = live.queue_etag(
        user=user, versions=versions, query=params.query(), now=live.now_seconds()
    )
    if etag and etag in _if_none_match(request):
        response: HttpResponse = HttpResponseNotModified()
    else:
        context = _results_context(user, params)
        context.update(
            counts=_queue_counts(user, queue=params.queue, versions=versions),
            p1_tickets=live.open_p1_tickets(user=user),
        )
        response = render(request, "tickets/_queue_live.html", context)
    if etag:
        response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _bulk_context(user: User, params: QueueParams) -> dict[str, Any]:
    """The bulk bar's choices: the agents of the queue's tier (of the agent's own tiers on
    "Assigned to me"), priorities, resolution codes; categories are the filter's."""
    tiers = [int(params.queue[1])] if params.queue in ("l1", "l2", "l3") else agent_tiers(user=user)
    return {
        "bulk_actions": list(BULK_ACTIONS.items()),
        "bulk_agents": User.objects.filter(
            role=Role.AGENT, is_active=True, support_groups__tier__in=tiers
        )
        .distinct()
        .only(*_PERSON)
        .order_by("display_name", "username"),
        "resolution_codes": [(c.value, c.label) for c in map(ClosureCode, RESOLUTION_CODES)],
    }


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
    reason = forms.CharField(required=False, max_length=2000)
    summary = forms.CharField(required=False, max_length=20000)
    code = forms.CharField(required=False, max_length=20)
    into = forms.CharField(required=False, max_length=40)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any positive id is a valid choice: the service answers each (404 if not readable).
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        ids = [value for value in raw if _int(value)]
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
    user = _staff_required(request)
    form = BulkForm(request.POST)
    outcomes: list[BulkOutcome] = []
    error = ""
    if not form.is_valid():
        error = str(next(iter(form.errors.values()))[0])
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
    else:
        _bulk_messages(request, action=action, outcomes=outcomes)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("console")
    return redirect(target)


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
    return _("%(action)s: %(done)d done, %(failed)d not done.") % {
        "action": label,
        "done": done,
        "failed": failed,
    }


def _queue_tickets(user: User, key: str) -> QuerySet[Ticket]:
    if key == "mine":
        return Ticket.objects.filter(assignee=user)
    return Ticket.objects.filter(tier=int(key[1]))


def _capped_count(cache_key: str, queryset: QuerySet[Ticket]) -> str:
    value = cache.get(cache_key)
    if value is None:
        # SELECT COUNT(*) FROM (SELECT … LIMIT cap+1): bounded work on the (tier, status) index.
        number = queryset.order_by()[: COUNT_CAP + 1].count()
        value = f"{COUNT_CAP}+" if number > COUNT_CAP else str(number)
        cache.set(cache_key, value, COUNTS_CACHE_SECONDS)
    return str(value)


def _queue_counts(
    user: User, *, queue: str, versions: dict[str, str] | None = None
) -> dict[str, str]:
    """The badges, each the length of the list its tab links to, capped and shared for a few
    seconds: open tickets per tier tab and for "mine" (as the dashboard's backlog), and the
    current queue's "open" and "solved (awaiting confirmation)" status tabs.

    `versions` (live.queue_versions) are part of the cache keys: a change shows at once."""
    versions = versions or {}
    counts: dict[str, str] = {}
    for key, _label in _queues_for(user):
        scope = f"mine:{user.pk}" if key == "mine" else key
        counts[key] = _capped_count(
            f"console-count:{scope}:{versions.get(key, '')}",
            _queue_tickets(user, key).filter(status__in=ACTIVE_STATES),
        )
    if queue in counts:
        scope = f"mine:{user.pk}" if queue == "mine" else queue
        counts["open"] = counts[queue]
        counts["solved"] = _capped_count(
            f"console-count:{scope}:solved:{versions.get(queue, '')}",
            _queue_tickets(user, queue).filter(status=Status.RESOLVED),
        )
    return counts


def console_counts(request: HttpRequest) -> HttpResponse:
    """The tab badges, polled by htmx (?queue= the page's queue, for its status tabs)."""
    user = _staff_required(request)
    queue = _queue_params(request, user).queue
    versions = live.queue_versions(user=user, tiers=_tab_tiers(user))
    return render(
        request,
        "tickets/_queue_counts.html",
        {"counts": _queue_counts(user, queue=queue, versions=versions)},
    )


def priority_preview(request: HttpRequest) -> HttpResponse:
    """The priority the triage form's impact, urgency and override give (htmx), with the
    confirmation box when that is P1 or P2 (its state kept across refreshes)."""
    _staff_required(request)
    get = request.GET
    override = _int(get.get("triage-override"))
    if override not in range(1, 6):
        override = None
    priority = triage_priority(
        impact=get.get("triage-impact", ""),
        urgency=get.get("triage-urgency", ""),
        override=override,
    )
    return render(
        request,
        "tickets/_priority_preview.html",
        _preview_context(
            priority, override=override is not None, confirmed=bool(get.get("triage-confirm"))
        ),
    )


def _preview_context(
    priority: Priority | None, *, override: bool, confirmed: bool, errors: Any = ()
) -> dict[str, Any]:
    return {
        "label": str(priority.label) if priority is not None else "—",
        "override": override,
        "needs_confirm": priority is not None and priority <= Priority.P2,
        "confirmed": confirmed,
        "confirm_errors": errors,
    }


def _triage_context(ticket: Ticket, actions: list[dict[str, Any]]) -> dict[str, Any]:
    """The triage form's preview, computed from the form itself (so they agree), and what the
    requester chose when they asked."""
    form = next((a["form"] for a in actions if a["name"] == "triage"), None)
    if not isinstance(form, TriageForm):
        return {}
    data = form.cleaned_data if form.is_bound else form.initial
    priority = form.resulting_priority()
    return {
        "priority_preview": _preview_context(
            priority,
            override=data.get("override") is not None,
            confirmed=bool(data.get("confirm")),
            errors=form.errors.get("confirm", ()),
        ),
        "requester_urgency": {str(k): v for k, v in URGENCY_FOR_REQUESTER}.get(ticket.urgency, ""),
    }


# --- guest tickets and tracking links (tickets/guests.py) -------------------------------------


@login_required
@require_POST
def guest_claim_request(request: HttpRequest) -> HttpResponse:
    """The banner's button on "My tickets": email the account a link to claim its tickets."""
    if guests.guest_claim_request(user=_user(request)):
        messages.success(
            request,
            _("We sent a link to %(address)s: open it to add these requests to your account.")
            % {"address": _user(request).email},
        )
    return redirect("my_tickets")


@login_required
@require_http_methods(["GET", "POST"])
def guest_claim(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: GET shows what would be claimed (mail scanners open links), POST does."""
    user = _user(request)
    try:
        address = guests.guest_claim_address(user=user, token=token)
    except DomainError as error:
        return render(request, "tickets/guest_claim.html", {"error": error.message}, status=400)
    if request.method == "POST":
        try:
            claimed = guests.guest_tickets_claim(user=user, token=token)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d request was added to your account.",
                    "%(count)d requests were added to your account.",
                    len(claimed),
                )
                % {"count": len(claimed)},
            )
        return redirect("my_tickets")
    tickets = list(guests.guest_tickets_for(user=user).filter(contact_email__iexact=address))
    return render(
        request,
        "tickets/guest_claim.html",
        {"tickets": tickets, "address": address, "token": token},
    )


@require_POST
@_tracking_guarded
def tracking_link_renew(
    request: HttpRequest, pk: int | None = None, token: str | None = None
) -> HttpResponse:
    """Revoke the tracking link and email a new one to the requester (their ticket page or the
    link itself). Staff and other readers cannot: it is the requester's link."""
    ticket, actor, _staff = _ticket_for_write(request, pk, token)
    if actor.pk != ticket.requester_id:
        raise PermissionDenied(_("Only the requester can renew the tracking link."))
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Confirm that the old link should stop working."))
        return _back(ticket, token is not None)
    ticket = guests.ticket_tracking_link_renew(ticket=ticket, actor=actor)
    if token is not None:
        # The old link is dead: the page says where the new one went (nothing of the address).
        return render(request, "tickets/tracking_renewed.html", {"ticket": ticket})
    messages.success(
        request, _("The old tracking link no longer works; a new one was sent to you by email.")
    )
    return redirect("ticket_detail", pk=ticket.pk)
