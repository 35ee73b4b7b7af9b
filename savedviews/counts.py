"""Live counts of saved views, capped and shared for a few seconds like the console's tabs.

The views' counts missing from the cache are computed in ONE statement whatever their number:
`SELECT (SELECT COUNT(*) FROM (<view 1's list> LIMIT cap+1)), (…view 2…), …` — each list is
exactly what the console shows for that view (`tickets.views.console_queue.queue_queryset`).
"""

import hashlib
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.db import connections
from django.http import QueryDict

from accounts.models import User
from savedviews.models import SavedView
from tickets.models import Category, Ticket
from tickets.views.console_queue import (
    COUNT_CAP,
    COUNTS_CACHE_SECONDS,
    queue_params_from,
    queue_queryset,
)


def _cache_key(user: User, query: str) -> str:
    # Per user: the same filters count differently for each reader ("me", tier access).
    digest = hashlib.sha256(query.encode()).hexdigest()[:24]
    return f"savedview-count:{user.pk}:{digest}"


def _label(number: int) -> str:
    return f"{COUNT_CAP}+" if number > COUNT_CAP else str(number)


def saved_view_counts(*, user: User, views: Sequence[SavedView]) -> dict[int, str]:
    """{view id: "12" or "999+"}: cache hits cost nothing, misses one query (and one more
    for their categories' subcategories when any filters by category)."""
    keys = {view.pk: _cache_key(user, view.query) for view in views}
    cached = cache.get_many(list(set(keys.values())))
    missing = {view.query for view in views if keys[view.pk] not in cached}
    if missing:
        fresh = _count_queries(user=user, queries=sorted(missing))
        values = {_cache_key(user, query): _label(number) for query, number in fresh.items()}
        cache.set_many(values, COUNTS_CACHE_SECONDS)
        cached.update(values)
    return {pk: str(cached[key]) for pk, key in keys.items()}


def _count_queries(*, user: User, queries: list[str]) -> dict[str, int]:
    params = {query: queue_params_from(QueryDict(query), user=user) for query in queries}
    # A top category includes its subcategories (as ticket_list does): looked up once for all.
    tops = {p.category for p in params.values() if p.category}
    children: dict[int, list[int]] = {top: [] for top in tops}
    for parent_id, pk in Category.objects.filter(parent_id__in=tops).values_list("parent_id", "pk"):
        children[parent_id].append(pk)
    selects: list[str] = []
    arguments: list[Any] = []
    alias = Ticket.objects.db
    for query in queries:
        p = params[query]
        category = p.category
        p.category = None  # filtered below with the subcategories already known
        tickets = queue_queryset(user, p)
        if category:
            tickets = tickets.filter(category_id__in=[category, *children.get(category, [])])
        limited = tickets.order_by().values("pk")[: COUNT_CAP + 1]
        alias = limited.db
        sql, sql_params = limited.query.get_compiler(using=alias).as_sql()
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS v{len(selects)})")  # noqa: S608
        arguments.extend(sql_params)
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), arguments)
        row = cursor.fetchone()
    return dict(zip(queries, row, strict=True))
