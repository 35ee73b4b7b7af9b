"""The search expressions, written once: the migration indexes exactly these expressions and
the selectors query with them, so PostgreSQL matches the query to the index.

A partial index is used only when the query's WHERE implies the index's: queries on tickets
always filter `status IN ('resolved', 'closed')` (Django renders the list the same way).
"""

SEARCHABLE_STATUSES = ("resolved", "closed")
_STATUS_PREDICATE = "status IN ('resolved', 'closed')"

# {title} and {body}: the columns, written bare in the indexes and with their (possibly aliased,
# e.g. inside a subquery) table by kb.selectors.SearchSQL in queries.
DOC = "{title} || ' ' || {body}"
TITLE = "{title}"

CONFIGS = ("english", "spanish")
_SHORT = {"english": "en", "spanish": "es"}


def _check(config: str) -> None:
    if config not in CONFIGS:  # the names are pasted into SQL: only ours
        raise ValueError(config)


def tsvector(config: str, document: str) -> str:
    _check(config)
    return f"to_tsvector('{config}'::regconfig, {document})"


def tsquery(config: str) -> str:
    _check(config)
    return f"to_tsquery('{config}'::regconfig, %s)"


# (name, CREATE INDEX statement) of every index the kb migration adds on PostgreSQL.
INDEXES = [
    *[
        (
            f"kb_ticket_fts_{_SHORT[config]}_idx",
            f"CREATE INDEX IF NOT EXISTS kb_ticket_fts_{_SHORT[config]}_idx ON tickets_ticket "
            f"USING gin ({tsvector(config, DOC).format(title='title', body='description')}) "
            f"WHERE {_STATUS_PREDICATE}",
        )
        for config in CONFIGS
    ],
    (
        "kb_ticket_title_trgm_idx",
        "CREATE INDEX IF NOT EXISTS kb_ticket_title_trgm_idx ON tickets_ticket "
        f"USING gin (title gin_trgm_ops) WHERE {_STATUS_PREDICATE}",
    ),
    *[
        (
            f"kb_article_fts_{_SHORT[config]}_idx",
            f"CREATE INDEX IF NOT EXISTS kb_article_fts_{_SHORT[config]}_idx ON kb_article "
            f"USING gin ({tsvector(config, DOC).format(title='title', body='body')})",
        )
        for config in CONFIGS
    ],
]
