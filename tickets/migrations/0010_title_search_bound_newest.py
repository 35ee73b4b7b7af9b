"""The title search bound is the newest match's id, not the end of its bucket (issue 19 item 3,
stop 28).

0009's `ticket_title_search_bound(pattern, word)` returned the last id of the newest bucket of
16,384 ids with a match (the top id when the newest bucket has one): the list's walk then tested
up to 16,384 rows above the newest match — behind a run of recent tickets that do not match,
30–80 ms of the page at 1M on a busy machine. It still finds that bucket the same way, then
asks it for its newest match:

- first among the 1,024 ids at or below the bucket's end, walked (cheap where matches are
  dense: the usual newest bucket);
- else from the trigram index's bucket (`ticket_title_trgm_bucket`: the bucket's matches only,
  a few dozen behind such a run), as `max(id + 0)` so that PostgreSQL cannot turn it into a walk
  of the primary key from the top of the table.

The bound is a matching id and no title above it matches: the list's rows and their order are
unchanged; its walk starts at the newest match.
"""

import importlib

from django.db import migrations

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
    -- The newest match among the 1,024 ids at or below $3: a walk of the primary key (the
    -- LIMIT of the subquery keeps it one), cheap where matches are dense.
    near CONSTANT text := 'SELECT id FROM (SELECT id, title FROM tickets_ticket WHERE id <= $3'
        || ' ORDER BY id DESC LIMIT 1024) AS recent WHERE ' || matches
        || ' ORDER BY id DESC LIMIT 1';
    -- Else the newest match of bucket $3 from the trigram index's bucket: `id + 0` is not the
    -- key's order, so this is not turned into a walk of the key from the top of the table.
    in_bucket CONSTANT text := 'SELECT max(id + 0) FROM tickets_ticket WHERE '
        || matches || ' AND id / 16384 = $3';
    hit bigint;
    one bigint;
    candidate bigint;
BEGIN
    SELECT max(id) INTO top FROM tickets_ticket;
    IF top IS NULL THEN
        RETURN 0;
    END IF;
    bucket := top / 16384;
    candidate := -1;
    -- The newest bucket with a match: the newest, then eight at a time below, then the newest
    -- of the eight with one.
    FOR hit IN EXECUTE in_buckets USING pattern, word, ARRAY[bucket] LOOP
        candidate := bucket;
        EXIT;
    END LOOP;
    WHILE candidate < 0 AND bucket > 0 LOOP
        batch := ARRAY(SELECT generate_series(bucket - 1, GREATEST(bucket - 8, 0), -1));
        bucket := bucket - 8;
        FOR hit IN EXECUTE in_buckets USING pattern, word, batch LOOP
            FOREACH one IN ARRAY batch LOOP
                FOR hit IN EXECUTE in_buckets USING pattern, word, ARRAY[one] LOOP
                    candidate := one;
                    EXIT;
                END LOOP;
                EXIT WHEN candidate >= 0;
            END LOOP;
            EXIT;
        END LOOP;
    END LOOP;
    IF candidate < 0 THEN
        RETURN 0;  -- no title matches
    END IF;
    -- That bucket's newest match: no title above it matches.
    FOR hit IN EXECUTE near USING pattern, word, LEAST(top, (candidate + 1) * 16384 - 1) LOOP
        RETURN hit;
    END LOOP;
    EXECUTE in_bucket INTO hit USING pattern, word, candidate;
    RETURN COALESCE(hit, (candidate + 1) * 16384 - 1);
END
$$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)  # "<%" is not a placeholder


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    previous = importlib.import_module("tickets.migrations.0009_title_search_bound")
    schema_editor.execute(previous.CREATE_FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0009_title_search_bound")]

    operations = [migrations.RunPython(forwards, backwards)]
