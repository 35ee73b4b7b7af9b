"""Reads of the knowledge base: similar past incidents, article search and suggestions, links.

Similar incidents on PostgreSQL (see kb/sql.py for the indexed expressions):
1. candidates: resolved or closed tickets the user may read whose text shares at least two key
   terms with the ticket (one from its title), in English or Spanish, or (short titles) whose
   title is trigram-similar; served by the partial GIN indexes, capped at CANDIDATES per group
   (same category / any category) before anything is ranked;
2. ranking of those few rows: full-text rank (best of both languages) + title trigram similarity,
   same category first.
Elsewhere (SQLite, the embedded mode) a plain `icontains` on the title and scoring in Python.
"""

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import Expression
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from kb import sql
from kb.models import Article, TicketLink, Visibility
from kb.terms import any_query, candidate_queries, key_terms, language_of, words
from tickets.models import Ticket
from tickets.selectors import tickets_visible_to

CANDIDATES = 60  # per group (same category / any), before ranking
ENOUGH = 2  # × the number of suggestions wanted: stop widening the search there
SHORT_TITLE_TERMS = 3  # titles of at most this many terms may also match by trigrams
SIMILAR_LIMIT = 5
SUGGEST_LIMIT = 5


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def can_use_kb_tools(*, user: User) -> bool:
    """Similar incidents, links and article authoring are for support staff."""
    return bool(user.is_authenticated and user.is_active and user.is_staff_member)


# --- similar incidents -----------------------------------------------------------------------


@dataclass(frozen=True)
class SimilarQuery:
    title: str
    description: str = ""
    category_id: int | None = None
    exclude_id: int | None = None


def _searchable(user: User) -> QuerySet[Ticket]:
    return (
        tickets_visible_to(user=user)
        .filter(status__in=sql.SEARCHABLE_STATUSES)
        .exclude(resolution_summary="")
    )


class SearchSQL(Expression):
    """SQL text from kb/sql.py with its {title} and {body} placeholders replaced by the compiled
    columns, so the table alias is right even inside a subquery (a RawSQL naming
    "tickets_ticket" would silently refer to the outer query there)."""

    def __init__(self, template: str, params: list[str], *, body: str, output_field: Any) -> None:
        super().__init__(output_field=output_field)
        self.template, self.params = template, params
        self.columns: list[Any] = [F("title"), F(body)]

    def get_source_expressions(self) -> list[Any]:
        return self.columns

    def set_source_expressions(self, exprs: Any) -> None:
        self.columns = list(exprs)

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        title, body = (compiler.compile(column)[0] for column in self.columns)
        return self.template.format(title=title, body=body), list(self.params)


def _pg_match(*, config: str, tsquery: str) -> SearchSQL:
    return SearchSQL(
        f"{sql.tsvector(config, sql.DOC)} @@ {sql.tsquery(config)}",
        [tsquery],
        body="description",
        output_field=BooleanField(),
    )


def _pg_trigram(*, title: str) -> SearchSQL:
    return SearchSQL(f"{sql.TITLE} %% %s", [title], body="description", output_field=BooleanField())


def _pg_rank(*, any_terms: str, title: str) -> SearchSQL:
    ranks = ", ".join(
        f"ts_rank({sql.tsvector(config, sql.DOC)}, {sql.tsquery(config)}, 1)"
        for config in sql.CONFIGS
    )
    return SearchSQL(
        f"GREATEST({ranks}) + similarity({sql.TITLE}, %s)",
        [any_terms] * len(sql.CONFIGS) + [title],
        body="description",
        output_field=FloatField(),
    )


def similar_incidents(
    *, user: User, query: SimilarQuery, limit: int = SIMILAR_LIMIT
) -> list[Ticket]:
    """The resolved incidents most like the query that the user may read, best first (same
    category first); each has `similarity` (a score, higher is closer)."""
    title_terms, other_terms = key_terms(title=query.title, description=query.description)
    if not title_terms and not other_terms:
        return []
    base = _searchable(user)
    if query.exclude_id is not None:
        base = base.exclude(pk=query.exclude_id)
    if is_postgresql():
        return _similar_postgresql(
            base=base, query=query, title_terms=title_terms, other_terms=other_terms, limit=limit
        )
    return _similar_fallback(base=base, query=query, terms=title_terms + other_terms, limit=limit)


def _candidate_ids(
    *, base: QuerySet[Ticket], match: SearchSQL, category_id: int | None
) -> list[int]:
    """At most CANDIDATES matching tickets, plus as many of the same category: one query, each
    half a bitmap scan of one GIN index that stops at its LIMIT (no ORDER BY)."""
    matching = base.filter(match).order_by().values_list("pk", flat=True)
    candidates = matching[:CANDIDATES]
    if category_id is not None:
        candidates = matching.filter(category_id=category_id)[:CANDIDATES].union(candidates)
    return list(candidates)


def _similar_postgresql(
    *,
    base: QuerySet[Ticket],
    query: SimilarQuery,
    title_terms: list[str],
    other_terms: list[str],
    limit: int,
) -> list[Ticket]:
    title = " ".join(title_terms) or query.title
    stages = candidate_queries(title_terms=title_terms, other_terms=other_terms)
    # The query's language first (one index), strictest stage first; stop as soon as there are
    # enough candidates (the stricter stages find the closest tickets). The other language,
    # then trigrams (short or misspelt titles), only when that finds too few.
    first = language_of(f"{query.title} {query.description}")
    ids: list[int] = []
    for config in (first, *(c for c in sql.CONFIGS if c != first)):
        for tsquery in stages:
            found = _candidate_ids(
                base=base.exclude(pk__in=ids),
                match=_pg_match(config=config, tsquery=tsquery),
                category_id=query.category_id,
            )
            ids.extend(found)
            if len(ids) >= ENOUGH * limit:
                break
        if len(ids) >= limit:
            break
    if len(ids) < limit and 0 < len(title_terms) <= SHORT_TITLE_TERMS:
        ids.extend(
            _candidate_ids(
                base=base.exclude(pk__in=ids),
                match=_pg_trigram(title=title),
                category_id=query.category_id,
            )
        )
    if not ids:
        return []
    same_category: Case | Value = Value(False)
    if query.category_id is not None:
        same_category = Case(
            When(category_id=query.category_id, then=True),
            default=False,
            output_field=BooleanField(),
        )
    ranked = (
        Ticket.objects.filter(pk__in=ids)
        .annotate(
            similarity=_pg_rank(any_terms=any_query(title_terms + other_terms), title=title),
            same_category=same_category,
        )
        .select_related("category__parent")
        .order_by("-same_category", F("similarity").desc(), "-id")
    )
    return list(ranked[:limit])


def _similar_fallback(
    *, base: QuerySet[Ticket], query: SimilarQuery, terms: list[str], limit: int
) -> list[Ticket]:
    anywhere = Q()
    for term in terms[:6]:
        anywhere |= Q(title__icontains=term)
    candidates = list(
        base.filter(anywhere).select_related("category__parent").order_by("-id")[: CANDIDATES * 3]
    )
    wanted = set(terms)
    for ticket in candidates:
        in_title = wanted & set(words(ticket.title))
        in_text = wanted & set(words(ticket.description))
        ticket.similarity = 2 * len(in_title) + len(in_text)  # type: ignore[attr-defined]
        ticket.same_category = (  # type: ignore[attr-defined]
            query.category_id is not None and ticket.category_id == query.category_id
        )
    candidates.sort(
        key=lambda t: (t.same_category, t.similarity, t.pk),  # type: ignore[attr-defined]
        reverse=True,
    )
    return candidates[:limit]


def similar_to_ticket(*, user: User, ticket: Ticket, limit: int = SIMILAR_LIMIT) -> list[Ticket]:
    if not can_use_kb_tools(user=user):
        return []
    return similar_incidents(
        user=user,
        query=SimilarQuery(
            title=ticket.title,
            description=ticket.description,
            category_id=ticket.category_id,
            exclude_id=ticket.pk,
        ),
        limit=limit,
    )


# --- links -------------------------------------------------------------------------------------


def ticket_links_for_user(*, user: User, ticket: Ticket) -> list[Ticket]:
    """The tickets related to this one (either direction) that the user may read; staff only,
    a requester never learns about other people's tickets this way."""
    if not can_use_kb_tools(user=user):
        return []
    linked = TicketLink.objects.filter(Q(from_ticket=ticket) | Q(to_ticket=ticket)).values_list(
        "from_ticket_id", "to_ticket_id"
    )
    ids = {pk for pair in linked for pk in pair} - {ticket.pk}
    if not ids:
        return []
    return list(
        tickets_visible_to(user=user)
        .filter(pk__in=ids)
        .select_related("category__parent")
        .order_by("-id")
    )


# --- articles ----------------------------------------------------------------------------------


def articles_visible_to(*, user: User | None) -> QuerySet[Article]:
    """Staff read every article; everyone else (requesters, anonymous visitors) public ones."""
    articles = Article.objects.select_related("category__parent")
    if user is not None and can_use_kb_tools(user=user):
        return articles
    return articles.filter(visibility=Visibility.PUBLIC)


def article_get_for_user(*, user: User | None, article_id: int) -> Article:
    try:
        return (
            articles_visible_to(user=user)
            .select_related("author", "source_ticket")
            .get(pk=article_id)
        )
    except (Article.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such article.")) from None


def articles_search(
    *,
    user: User | None,
    text: str,
    category_id: int | None = None,
    language: str = "",
    as_you_type: bool = False,
) -> QuerySet[Article]:
    """Articles the user may read, best match first (most recently updated when no text)."""
    articles = articles_visible_to(user=user)
    if category_id:
        articles = articles.filter(Q(category_id=category_id) | Q(category__parent_id=category_id))
    if language:
        articles = articles.filter(language=language)
    terms = list(dict.fromkeys(words(text)))[:8]
    if not terms:
        return articles if not text.strip() else articles.none()
    if is_postgresql():
        tsq = any_query(terms, prefix_last=as_you_type)
        match = " OR ".join(
            f"{sql.tsvector(config, sql.DOC)} @@ {sql.tsquery(config)}" for config in sql.CONFIGS
        )
        ranks = ", ".join(
            f"ts_rank({sql.tsvector(config, sql.DOC)}, {sql.tsquery(config)})"
            for config in sql.CONFIGS
        )
        return (
            articles.filter(
                SearchSQL(f"({match})", [tsq, tsq], body="body", output_field=BooleanField())
            )
            .annotate(
                rank=SearchSQL(
                    f"GREATEST({ranks})", [tsq, tsq], body="body", output_field=FloatField()
                )
            )
            .order_by("-rank", "-updated_at")
        )
    anywhere = Q()
    for term in terms:
        anywhere |= Q(title__icontains=term) | Q(body__icontains=term)
    return articles.filter(anywhere)


def article_suggestions(
    *, user: User | None, text: str, limit: int = SUGGEST_LIMIT
) -> list[Article]:
    """What the portal suggests while a requester types a ticket title."""
    if len(text.strip()) < 3:
        return []
    return list(articles_search(user=user, text=text[:200], as_you_type=True)[:limit])
