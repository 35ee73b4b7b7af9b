#!/usr/bin/env python
"""Write the SLA clocks of seeded tickets in SQL, in minutes at 1M, for timing pages.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench python bench/sla_clocks_sql.py \\
        [--due-soon N]

`bench/dashboard.py` replays every ticket's history through the clock engine: exact, but ~170
tickets/s on this machine, hours at 1M. The pages that read only running clocks (the breach
forecast, the console's SLA cells, the sweep) need the right number of clocks with the right
states and due times, not every pause: this script writes, for each ticket that has none yet,
its first-response and resolution clocks of cycle 1 (each written where the ticket has
none of that metric) under the default 24×7 policy, in two
INSERT … SELECT statements:

- started at creation; due at creation + the priority's target (75 % and 90 % likewise);
- first response stopped at `first_response_at` (met or breached), or at a cancellation
  (cancelled, or breached if after its due time), else running;
- resolution stopped at `resolved_at`, or at a cancellation, paused since the last update on a
  ticket on hold, else running;
- `alert_level` what the sweep would have recorded by now (or by the stop or pause), and
  `next_alert_at` the next threshold still owed.

Not written: holds that ended (the replay moves due times by them), reopened cycles, next
response clocks, business-hours calendars. Use `bench/dashboard.py` where those matter (the
dashboard's verdicts); say which one made the clocks when you report a figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DATABASE_POOL", "0")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from sla.models import SlaPolicy  # noqa: E402

# The threshold a clock had reached by a moment (`h`): what the sweep records, highest first.
LEVEL_BY = """CASE WHEN c.due < {h} THEN 100 WHEN c.r90 < {h} THEN 90
                   WHEN c.r75 < {h} THEN 75 ELSE 0 END"""

INSERT = """
INSERT INTO sla_slaclock (
    ticket_id, metric, cycle, priority, policy_id, calendar_id, started_at, target, paused,
    paused_since, pauses, at_risk_at, warning_at, due_at, stopped_at, state, alert_level,
    next_alert_at, created_at, updated_at)
SELECT c.id, %(metric)s, 1, c.priority, %(policy)s, NULL, c.start, c.target, interval '0',
       c.paused_since, '[]'::jsonb, c.r75, c.r90, c.due, c.stop, c.state,
       CASE WHEN c.state IN ('met', 'cancelled') THEN 0
            WHEN c.state = 'paused' THEN {level_at_pause}
            ELSE {level_now_or_stop} END,
       CASE WHEN c.state = 'running' THEN
                CASE WHEN now() < c.r75 THEN c.r75 WHEN now() < c.r90 THEN c.r90
                     WHEN now() < c.due THEN c.due END
       END,
       now(), now()
FROM (
    SELECT s.*,
           CASE WHEN s.stop IS NULL AND s.paused_since IS NULL THEN 'running'
                WHEN s.stop IS NULL THEN 'paused'
                WHEN s.cancelled AND s.stop <= s.due THEN 'cancelled'
                WHEN s.stop <= s.due THEN 'met'
                ELSE 'breached' END AS state
    FROM (
        SELECT t.id, t.priority, t.created_at AS start, tg.{target} AS target,
               t.created_at + tg.{target} * 0.75 AS r75, t.created_at + tg.{target} * 0.9 AS r90,
               t.created_at + tg.{target} AS due,
               {stop} AS stop, {cancelled} AS cancelled, {paused_since} AS paused_since
        FROM tickets_ticket t
        JOIN sla_slatarget tg ON tg.policy_id = %(policy)s AND tg.priority = t.priority
        WHERE NOT EXISTS (
            SELECT 1 FROM sla_slaclock k WHERE k.ticket_id = t.id AND k.metric = %(metric)s
        )
    ) s
) c
"""

# A closed ticket that was never resolved was cancelled (seed.py: 12 % of closed).
CANCELLED = "(t.status = 'closed' AND t.resolved_at IS NULL)"
METRICS = {
    "first_response": {
        "stop": f"COALESCE(t.first_response_at, CASE WHEN {CANCELLED} THEN t.closed_at END)",
        "cancelled": f"(t.first_response_at IS NULL AND {CANCELLED})",
        "paused_since": "NULL::timestamptz",
    },
    "resolution": {
        "stop": f"CASE WHEN t.resolved_at IS NOT NULL AND t.status IN ('resolved', 'closed') "
        f"THEN t.resolved_at WHEN {CANCELLED} THEN t.closed_at END",
        "cancelled": CANCELLED,
        "paused_since": "CASE WHEN t.status = 'on_hold' "
        "THEN GREATEST(t.updated_at, t.created_at) END",
    },
}


# Running clocks moved so that their due times spread over the next 24 hours (the seed's open
# tickets are months old: every running clock is long overdue, and a forecast window would be
# empty). Their 75 %/90 % moments and the sweep's next look follow.
DUE_SOON = """
UPDATE sla_slaclock k SET
    started_at = m.due - k.target, at_risk_at = m.due - k.target * 0.25,
    warning_at = m.due - k.target * 0.1, due_at = m.due,
    alert_level = CASE WHEN m.due - k.target * 0.1 < now() THEN 90
                       WHEN m.due - k.target * 0.25 < now() THEN 75 ELSE 0 END,
    next_alert_at = CASE WHEN now() < m.due - k.target * 0.25 THEN m.due - k.target * 0.25
                         WHEN now() < m.due - k.target * 0.1 THEN m.due - k.target * 0.1
                         ELSE m.due END
FROM (
    SELECT id, now() + interval '24 hours' * (row_number() OVER (ORDER BY id) - 0.5) / %(n)s AS due
    FROM (
        SELECT id FROM sla_slaclock WHERE state = 'running' AND metric = 'resolution'
        ORDER BY id DESC LIMIT %(n)s
    ) newest
) m
WHERE k.id = m.id
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--due-soon",
        type=int,
        default=0,
        help="move this many running resolution clocks (the newest) to fall due over the next "
        "24 hours, evenly",
    )
    args = parser.parse_args()
    policy = SlaPolicy.objects.get(name="Default (24×7)")  # sla migration 0002
    start = time.perf_counter()
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for metric in ("first_response", "resolution"):
            sql = INSERT.format(
                target=metric,
                level_at_pause=LEVEL_BY.format(h="c.paused_since"),
                level_now_or_stop=LEVEL_BY.format(h="LEAST(now(), COALESCE(c.stop, now()))"),
                **METRICS[metric],
            )
            cursor.execute(sql, {"metric": metric, "policy": policy.pk})
            written += cursor.rowcount
            print(f"  {metric}: {cursor.rowcount:,} clocks", flush=True)
        if args.due_soon:
            cursor.execute(DUE_SOON, {"n": args.due_soon})
            print(f"  {cursor.rowcount:,} running clocks now due over the next 24 hours")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) sla_slaclock")
    print(f"clocks: {written:,} written in SQL in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
