"""Writes of the knowledge base: articles (new or promoted from a ticket) and related links."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk.errors import ConflictError, DomainError
from helpdesk.text import newlines_normalized
from kb.models import Article, Language, TicketLink, Visibility
from tickets.models import Category, EventKind, Status, Ticket, TicketEvent

MAX_TITLE = 200
MAX_BODY = 50_000


def _require_author(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_active and actor.is_staff_member):
        raise PermissionDenied(_("Only support staff can write knowledge-base articles."))


def _clean(
    *, title: str, body: str, language: str, visibility: str, category: Category | None
) -> tuple[str, str]:
    title, body = newlines_normalized(title.strip()), newlines_normalized(body.strip())
    if not title:
        raise DomainError(_("A title is required."), field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(_("The title is too long."), field="title")
    if not body:
        raise DomainError(_("The article needs a body."), field="body")
    if len(body) > MAX_BODY:
        raise DomainError(_("The article is too long."), field="body")
    if language not in Language.values:
        raise DomainError(_("Choose English or Spanish."), field="language")
    if visibility not in Visibility.values:
        raise DomainError(_("Choose public or internal."), field="visibility")
    if category is not None and not category.is_active:
        raise DomainError(_("This category is no longer in use."), field="category")
    return title, body


def article_create(
    *,
    actor: User,
    title: str,
    body: str,
    language: str = Language.ENGLISH,
    visibility: str = Visibility.INTERNAL,
    category: Category | None = None,
    source_ticket: Ticket | None = None,
) -> Article:
    """A new article; with `source_ticket`, promoted from that resolved ticket's resolution."""
    _require_author(actor)
    title, body = _clean(
        title=title, body=body, language=language, visibility=visibility, category=category
    )
    if source_ticket is not None and (
        source_ticket.status not in (Status.RESOLVED, Status.CLOSED)
        or not source_ticket.resolution_summary
    ):
        raise DomainError(
            _("Only a resolved ticket's resolution can become an article."), field="source_ticket"
        )
    return Article.objects.create(
        title=title,
        body=body,
        language=language,
        visibility=visibility,
        category=category,
        source_ticket=source_ticket,
        author=actor,
        updated_by=actor,
    )


def article_update(
    *,
    article: Article,
    actor: User,
    title: str | None = None,
    body: str | None = None,
    language: str | None = None,
    visibility: str | None = None,
    category: Category | None = None,
    clear_category: bool = False,
    expected_updated_at: datetime | None = None,
) -> Article:
    """With `expected_updated_at` (when the editor loaded the article), a save by someone else
    since then is refused with a ConflictError instead of silently replacing their text."""
    _require_author(actor)
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        if _unchanged(
            current,
            title=title,
            body=body,
            language=language,
            visibility=visibility,
            category=None if clear_category else (category or current.category),
        ):
            # The form sent back as it was loaded (its line breaks as a browser sends them):
            # nothing to save, and no new version that a colleague's save would conflict with.
            return current
        if expected_updated_at is not None and current.updated_at != expected_updated_at:
            raise ArticleChangedError(updated_at=current.updated_at)
        return _article_save(
            article=article,
            actor=actor,
            title=title,
            body=body,
            language=language,
            visibility=visibility,
            category=category,
            clear_category=clear_category,
        )


def _unchanged(
    article: Article,
    *,
    title: str | None,
    body: str | None,
    language: str | None,
    visibility: str | None,
    category: Category | None,
) -> bool:
    """Whether saving these values would leave the article as it is (texts as `_clean` keeps
    them; None leaves a text, the language or the visibility as it is)."""

    def same(new: str | None, old: str) -> bool:
        return new is None or newlines_normalized(new.strip()) == newlines_normalized(old)

    return (
        same(title, article.title)
        and same(body, article.body)
        and language in (None, article.language)
        and visibility in (None, article.visibility)
        and category == article.category
    )


class ArticleChangedError(ConflictError):
    """Someone saved the article after the editor opened it: nothing was saved."""

    def __init__(self, *, updated_at: datetime) -> None:
        super().__init__(
            _(
                "Someone else saved this article after you opened it. Your text is kept below: "
                "open the article in another tab to compare, then save again to replace theirs."
            )
        )
        self.updated_at = updated_at  # their save: what the form now carries


def _article_save(
    *,
    article: Article,
    actor: User,
    title: str | None,
    body: str | None,
    language: str | None,
    visibility: str | None,
    category: Category | None,
    clear_category: bool,
) -> Article:
    new_category = None if clear_category else (category or article.category)
    article.title, article.body = _clean(
        title=article.title if title is None else title,
        body=article.body if body is None else body,
        language=language or article.language,
        visibility=visibility or article.visibility,
        category=new_category if new_category != article.category else None,
    )
    article.language = language or article.language
    article.visibility = visibility or article.visibility
    article.category = new_category
    article.updated_by = actor
    article.save()
    return article


def promoted_article_draft(*, ticket: Ticket) -> dict[str, object]:
    """Initial values for an article promoted from a ticket: its title and resolution (not the
    description, which may hold the requester's personal details). Internal until an agent
    decides to publish it."""
    language = Language.SPANISH if ticket.requester.language == "es" else Language.ENGLISH
    return {
        "title": ticket.title,
        "body": ticket.resolution_summary,
        "language": language,
        "visibility": Visibility.INTERNAL,
        "category": ticket.category,
    }


def ticket_link_create(*, ticket: Ticket, related: Ticket, actor: User) -> TicketLink:
    """Mark two tickets as related. Both must already have passed the caller's access gate.

    Idempotent: linking again (either direction) returns the existing link and records nothing.
    Each ticket gets a change event naming the other; the event's reason is internal, so the
    requester's history never shows another person's ticket.
    """
    if not actor.is_agent:
        raise PermissionDenied(_("Only support agents can link tickets."))
    if ticket.pk == related.pk:
        raise DomainError(_("A ticket cannot be related to itself."), field="related")
    now = timezone.now()
    with transaction.atomic():
        # Both rows in pk order (the house rule for several locks): one link at a time per pair.
        list(
            Ticket.objects.select_for_update()
            .filter(pk__in=[ticket.pk, related.pk])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        existing = TicketLink.objects.filter(
            from_ticket_id__in=[ticket.pk, related.pk], to_ticket_id__in=[ticket.pk, related.pk]
        ).first()
        if existing is not None:
            return existing
        link = TicketLink.objects.create(from_ticket=ticket, to_ticket=related, created_by=actor)
        for this, other in ((ticket, related), (related, ticket)):
            TicketEvent.objects.create(
                ticket=this,
                actor=actor,
                created_at=now,
                kind=EventKind.CHANGE,
                changes={"related_ticket": [None, other.reference]},
                reason=_("Related to %(reference)s.") % {"reference": other.reference},
                reason_is_internal=True,
            )
    return link
