"""Knowledge-base pages: search and read (public articles for everyone, internal ones for staff),
write (staff), the portal's suggestions fragment, and the ticket page's link action."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from helpdesk.errors import DomainError
from helpdesk.redirects import same_site_path
from helpdesk.signed_out import login_required_keeping, typed_before_signing_out
from idempotency.decorators import idempotent_form
from kb import forms, selectors, services
from tickets.models import Ticket
from tickets.selectors import parse_reference, ticket_get_for_user
from tickets.views.page import render_ticket

LIST_LIMIT = 50  # articles on the list page
# What an author types, kept for the sign-in when they were signed out meanwhile.
ARTICLE_FIELDS = ("title", "body", "language", "visibility", "category")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require_author(request: HttpRequest) -> None:
    if not selectors.can_use_kb_tools(user=_user(request)):
        raise PermissionDenied(_("Only support staff can write knowledge-base articles."))


@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    form = forms.ArticleSearchForm(request.GET or None)
    text, language = "", ""
    if form.is_bound:
        # An unknown language (an old or edited link) is dropped, the words still searched:
        # an invalid form searched nothing and listed every article.
        form.is_valid()
        text = form.cleaned_data.get("q", "")
        language = form.cleaned_data.get("language", "")
    # One more than shown, to say when some are left out (past 50 they went without a word).
    articles = list(
        selectors.articles_search(user=_user(request), text=text, language=language)[
            : LIST_LIMIT + 1
        ]
    )
    return render(
        request,
        "kb/list.html",
        {
            "form": form,
            "articles": articles[:LIST_LIMIT],
            "more": len(articles) > LIST_LIMIT,
            "limit": LIST_LIMIT,
            "can_write": selectors.can_use_kb_tools(user=_user(request)),
        },
    )


@require_GET
def article_detail(request: HttpRequest, article_id: int) -> HttpResponse:
    article = selectors.article_get_for_user(user=_user(request), article_id=article_id)
    return render(
        request,
        "kb/detail.html",
        {"article": article, "can_write": selectors.can_use_kb_tools(user=_user(request))},
    )


@dataclass(frozen=True)
class _Source:
    """The ticket an article is promoted from, or why the link's ticket is refused."""

    ticket: Ticket | None = None
    refused: str = ""
    status: int = 200


def _promoted_from(request: HttpRequest) -> _Source:
    """`?from_ticket=` (the ticket page's "promote" link) or the form's hidden field. Refused: a
    value that is no ticket number (400) or one no ticket the user may read has (404; a ticket
    they may not read is "no such ticket" too). Both said on the page above the form: a bare
    "page not found" did not say the link's ticket was the problem."""
    raw = (request.GET.get("from_ticket") or request.POST.get("from_ticket") or "").strip()
    if not raw:
        return _Source()
    shown = raw.replace("\x00", "")[:40]
    ticket_id = parse_reference(raw)
    if ticket_id is None:
        return _Source(
            refused=_(
                "The link's ticket “%(value)s” is not a ticket number (such as 123 or "
                "INC-000123): this article is written from no ticket."
            )
            % {"value": shown},
            status=400,
        )
    try:
        return _Source(ticket=ticket_get_for_user(user=_user(request), ticket_id=ticket_id))
    except Http404:
        return _Source(
            refused=_(
                "No ticket number %(value)s that you can read (the link may be old): this "
                "article is written from no ticket."
            )
            % {"value": ticket_id},
            status=404,
        )


@login_required_keeping(*ARTICLE_FIELDS)
@require_http_methods(["GET", "POST"])
@idempotent_form  # a second click must not publish the article twice
def article_create(request: HttpRequest) -> HttpResponse:
    _require_author(request)
    promoted = _promoted_from(request)
    source = promoted.ticket
    initial = services.promoted_article_draft(ticket=source) if source else {}
    initial = {**initial, **typed_before_signing_out(request)}
    form = forms.ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and promoted.refused:
        # Not saved without the ticket it was meant to come from; the form below no longer
        # carries it, so saving again keeps the article from no ticket.
        form.is_valid()
    elif request.method == "POST" and form.is_valid():
        try:
            article = services.article_create(
                actor=_user(request), source_ticket=source, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The article is saved."))
            return redirect("kb-article", article_id=article.pk)
    status = promoted.status if promoted.refused else 400 if form.errors else 200
    return render(
        request,
        "kb/edit.html",
        {"form": form, "source": source, "article": None, "source_refused": promoted.refused},
        status=status,
    )


# The version the text was written against comes back too: saving it after signing in again
# still tells of a colleague's save meanwhile.
@login_required_keeping(*ARTICLE_FIELDS, "loaded_at")
@require_http_methods(["GET", "POST"])
@idempotent_form  # a second click is not "someone else saved this article"
def article_edit(request: HttpRequest, article_id: int) -> HttpResponse:
    _require_author(request)
    article = selectors.article_get_for_user(user=_user(request), article_id=article_id)
    form = forms.ArticleForm(
        request.POST or None,
        initial={
            "title": article.title,
            "body": article.body,
            "language": article.language,
            "visibility": article.visibility,
            "category": article.category,
            "loaded_at": article.updated_at.isoformat(),
            **typed_before_signing_out(request),
        },
        editing=True,
    )
    conflict = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.article_update(
                article=article,
                actor=_user(request),
                title=data["title"],
                body=data["body"],
                language=data["language"],
                visibility=data["visibility"],
                category=data["category"],
                clear_category=data["category"] is None,
                expected_updated_at=data["loaded_at"],
            )
        except services.ArticleChangedError as exc:
            # The typed text stays; saving again (now against their version) replaces theirs.
            conflict = True
            form.data = {**request.POST.dict(), "loaded_at": exc.updated_at.isoformat()}
            form.add_error(None, exc.message)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The article is saved."))
            return redirect("kb-article", article_id=article.pk)
    return render(
        request,
        "kb/edit.html",
        {"form": form, "source": article.source_ticket, "article": article},
        status=409 if conflict else 400 if form.errors else 200,
    )


@require_GET
def article_suggest(request: HttpRequest) -> HttpResponse:
    """GET /kb/suggest/?q=… — an HTML fragment (for htmx) of the articles matching what the
    requester is typing: public ones only, unless the user is support staff."""
    text = request.GET.get("q", "") or request.GET.get("title", "")
    articles = selectors.article_suggestions(user=_user(request), text=text)
    return render(request, "kb/_suggestions.html", {"articles": articles, "q": text})


@login_required
@require_GET
def ticket_similar(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The similar-incidents panel of a ticket as a fragment (for lazy loading with htmx)."""
    ticket = ticket_get_for_user(user=_user(request), ticket_id=ticket_id)
    return render(request, "kb/_similar.html", {"ticket": ticket, "user": _user(request)})


def _back(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    target = request.POST.get("next", "")
    return redirect(same_site_path(request, target, default=f"/tickets/{ticket.pk}/"))


@login_required
@require_http_methods(["GET", "POST"])
def ticket_link(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The "link a related ticket" form of the ticket page's similar-incidents panel.

    Refused (no reference, no such ticket, one the agent cannot read, the ticket itself): the
    ticket page again, 400, with what was typed in the field and the error on it (a redirect
    with a message lost the reference). A GET of this address (a reload, a language switch on
    that page) goes to the ticket page."""
    if request.method == "GET":
        return redirect("ticket_detail", pk=ticket_id)
    ticket = ticket_get_for_user(user=_user(request), ticket_id=ticket_id)
    form = forms.LinkForm(request.POST)
    related_id = parse_reference(form.cleaned_data["related"]) if form.is_valid() else None
    if related_id is None:
        if not form.has_error("related"):
            form.add_error("related", _("Give the related ticket's reference, e.g. INC-000123."))
        return render_ticket(request, ticket, bound={"kb_link": form}, status=400)
    try:
        related = ticket_get_for_user(user=_user(request), ticket_id=related_id)
        services.ticket_link_create(ticket=ticket, related=related, actor=_user(request))
    except Http404:
        # A ticket the agent may not read is "no such ticket" too: its existence is not told.
        form.add_error("related", _("No such ticket."))
    except DomainError as exc:
        form.add_error("related", exc.message)
    else:
        messages.success(
            request, _("Linked %(reference)s as related.") % {"reference": related.reference}
        )
        return _back(request, ticket)
    return render_ticket(request, ticket, bound={"kb_link": form}, status=400)
