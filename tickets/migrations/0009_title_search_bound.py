"""Title search behind a long run of recent tickets that do not match (issue 19 item 3).

A list page is `ORDER BY id DESC LIMIT 26`: PostgreSQL walks the primary key backwards and tests
each row, which is fast while matches are dense among recent tickets, but linear in a run of
recent tickets that do not match (a common word whose matches are all older: ~0.4 ms per 1,000
rows). The trigram index knows where the matches are, but not in id order. So:

- the trigram index also carries the id's bucket of 16,384 ids, `id / 16384` (btree_gin), and
  replaces `ticket_title_trgm`: "does a title in these buckets match?" is then one GIN scan that
  skips through the term's trigram lists to the buckets' rows (~0.1 ms a bucket at 1M tickets,
  whatever the trigram lists' length), where walking the same 16,384 ids costs ~7 ms;
- `ticket_title_search_bound(pattern, word)` finds the newest bucket with a match that way (the
  newest bucket, then eight at a time downwards, then the newest of those eight) and returns the
  last id of that bucket (0 when nothing matches): no title above it matches.
  `tickets.selectors.title_search_filter` adds `id <= ANY (ARRAY(SELECT
  ticket_title_search_bound(…)))`, an index condition of the walk evaluated once (an InitPlan)
  in the statement's own snapshot (a STABLE function) — written with ANY so that the planner
  does not count it as selective (see the selector) — so the walk
  starts within 16,384 ids of the newest match and no matching row is ever left out: the rows
  and their order are what the plain filter gives. A run of a million non-matching tickets
  costs ~8 look-ups (a few ms) instead of a ~400 ms walk.

Every GIN scan also reads the index's pending list (the rows inserted since its last clean-up,
up to `gin_pending_list_limit`, 4 MB by default); the function scans several times, so the list
is kept to 256 kB here (a clean-up then merges a smaller batch, more often).

`pattern` is the LIKE pattern Django builds for `title__icontains` (UPPER applied here as
there); `word`, for a term with no run of three letters or digits, the term of the word
similarity `word <% UPPER(title)` (NULL otherwise) — the same match as the filter's.

The look-ups run as `FOR … IN EXECUTE` loops left at the first row: such a query is planned for
all its rows (so the bucket is an index condition, not a filter over every trigram match) and
run only to its first one. PostgreSQL only (SQLite has no such walk at demo sizes).
"""

from django.db import migrations

BUCKET = 16384  # ids per bucket; the function and the index spell it out too

CREATE_INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS ticket_title_trgm_bucket ON tickets_ticket "
    "USING gin (UPPER(title::text) gin_trgm_ops, (id / 16384)) "
    "WITH (gin_pending_list_limit = 256)"
)
OLD_INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS ticket_title_trgm ON tickets_ticket "
    "USING gin (UPPER(title::text) gin_trgm_ops)"
)

CREATE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION ticket_title_search_bound(pattern text, word text)
RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
    top bigint;
    bucket bigint;
    batch bigint[];
    matches CONSTANT text := 'UPPER(title::text) LIKE UPPER($1)'
        || CASE WHEN word IS NULL THEN '' ELSE ' AND $2 <% UPPER(title::text)' END;
    in_buckets CONSTANT text := 'SELECT id / 16384 FROM tickets_ticket WHERE '
        || matches || ' AND id / 16384 = ANY ($3)';
    hit bigint;
    candidate bigint;
BEGIN
    SELECT max(id) INTO top FROM tickets_ticket;
    IF top IS NULL THEN
        RETURN 0;
    END IF;
    bucket := top / 16384;
    -- A match in the newest bucket: the walk finds it soon.
    FOR hit IN EXECUTE in_buckets USING pattern, word, ARRAY[bucket] LOOP
        RETURN top;
    END LOOP;
    -- Then the buckets below, eight at a time, and the newest of the eight with a match.
    WHILE bucket > 0 LOOP
        batch := ARRAY(SELECT generate_series(bucket - 1, GREATEST(bucket - 8, 0), -1));
        bucket := bucket - 8;
        FOR hit IN EXECUTE in_buckets USING pattern, word, batch LOOP
            FOREACH candidate IN ARRAY batch LOOP
                FOR hit IN EXECUTE in_buckets USING pattern, word, ARRAY[candidate] LOOP
                    RETURN (candidate + 1) * 16384 - 1;
                END LOOP;
            END LOOP;
        END LOOP;
    END LOOP;
    RETURN 0;  -- no title matches
END
$$
"""
DROP_FUNCTION = "DROP FUNCTION IF EXISTS ticket_title_search_bound(text, text)"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    schema_editor.execute(CREATE_INDEX)
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS ticket_title_trgm")
    schema_editor.execute(CREATE_FUNCTION, params=None)  # "<%" is not a placeholder


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP_FUNCTION)
    schema_editor.execute(OLD_INDEX)
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS ticket_title_trgm_bucket")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("tickets", "0008_ticket_merged_into")]

    operations = [migrations.RunPython(forwards, backwards)]
