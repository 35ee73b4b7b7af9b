#!/usr/bin/env python
"""Seed N tickets (default 100000), with their events and comments, into DATABASE_URL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench python bench/seed.py 1000000

Appends N tickets to whatever is already there. On PostgreSQL the rows go in through COPY
(psycopg 3's ``cursor.copy()`` on Django's connection), one transaction per chunk; on SQLite
through ``bulk_create``. The bench personas (requesters, agents at L1/L2/L3, a manager),
organisations and categories are created when missing. Every ticket gets a ``created`` event
and the transition events of a lifecycle that ends in its status, so the data obeys the
model: assignee only where the status implies one, resolved_at/closed_at set by the
transitions that set them, unique tracking tokens, priority 1..5, tier 1..3.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
# The seed is one long-lived connection: no pool needed.
os.environ.setdefault("DATABASE_POOL", "0")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.models import Organisation, Role, User  # noqa: E402
from escalation.models import SupportGroup  # noqa: E402
from tickets.models import Category, Comment, Ticket, TicketEvent  # noqa: E402
from tickets.models_choices import CANCEL_CODES, RESOLUTION_CODES  # noqa: E402
from tickets.priority import _MATRIX  # noqa: E402

# --- personas ----------------------------------------------------------------------------------

BENCH_PASSWORD = "bench-pass-123"  # set (hashed) by bench/api.py on the users it signs in as
AGENTS_PER_TIER = {1: 24, 2: 12, 3: 6}
GROUP_NAMES = {1: "Bench L1 service desk", 2: "Bench L2 technical", 3: "Bench L3 experts"}

CATEGORIES = {
    ("Hardware", "Hardware"): [
        ("Laptop", "Portátil"),
        ("Desktop", "Sobremesa"),
        ("Printer", "Impresora"),
        ("Monitor", "Monitor"),
        ("Peripherals", "Periféricos"),
    ],
    ("Software", "Software"): [
        ("Office suite", "Ofimática"),
        ("Operating system", "Sistema operativo"),
        ("Line-of-business app", "Aplicación de negocio"),
        ("Licences", "Licencias"),
    ],
    ("Network", "Red"): [
        ("VPN", "VPN"),
        ("Wi-Fi", "Wi-Fi"),
        ("Wired LAN", "Red cableada"),
        ("DNS", "DNS"),
    ],
    ("Accounts and access", "Cuentas y accesos"): [
        ("Password reset", "Restablecer contraseña"),
        ("New account", "Cuenta nueva"),
        ("Permissions", "Permisos"),
        ("MFA", "MFA"),
    ],
    ("Email and collaboration", "Correo y colaboración"): [
        ("Mailbox", "Buzón"),
        ("Calendar", "Calendario"),
        ("Video calls", "Videollamadas"),
    ],
    ("Telephony", "Telefonía"): [("Desk phone", "Teléfono fijo"), ("Mobile", "Móvil")],
    ("Security", "Seguridad"): [
        ("Phishing", "Phishing"),
        ("Malware", "Malware"),
        ("Lost device", "Dispositivo perdido"),
    ],
    ("Facilities IT", "Instalaciones TI"): [
        ("Meeting room AV", "Audiovisual de salas"),
        ("Badge reader", "Lector de tarjetas"),
    ],
}

TITLES = [
    "VPN disconnects every few minutes",
    "Cannot print to the floor printer",
    "Outlook keeps asking for my password",
    "Laptop will not boot",
    "Need access to the finance share",
    "Wi-Fi very slow in meeting rooms",
    "Screen flickers on the docking station",
    "Request a new monitor",
    "Teams calls drop after ten minutes",
    "Password expired, locked out",
    "MFA prompt never arrives",
    "Install the statistics package",
    "Shared calendar not updating",
    "Suspicious email with an attachment",
    "Desk phone has no dial tone",
    "ERP report times out",
    "New starter needs an account",
    "Keyboard keys stuck",
    "Cannot reach the intranet",
    "Licence expired for the drawing tool",
    "Mailbox full",
    "Projector in room 3 shows no signal",
    "Badge does not open the second floor",
    "Mobile email stopped syncing",
    "Blue screen after the update",
    "DNS name does not resolve",
    "Lost my phone on the train",
]
PLACES = [
    "",
    "",
    "",
    " (urgent)",
    " - HQ",
    " - branch office",
    " since Monday",
    " for the whole team",
    " after the update",
    " again",
]
DESCRIPTIONS = [
    "It started this morning and happens every time I try. I have restarted twice already.",
    "Since yesterday afternoon nothing works. Colleagues next to me have the same problem.",
    "I get an error message I cannot read; a screenshot will follow. It blocks my work.",
    "Please could someone have a look when possible. It is not urgent but it is annoying.",
    "This worked last week. I did not change anything on my side as far as I know.",
]
AGENT_REPLIES = [
    "Thanks for the report, we are looking into it.",
    "Could you tell me the exact error message and when it started?",
    "Please restart and try again; if it persists, reply here.",
    "We applied a fix on our side, can you confirm it works now?",
]
REQUESTER_REPLIES = [
    "Here is the screenshot you asked for.",
    "It happened again just now.",
    "Still not working, sorry.",
    "Thanks, it looks better now.",
]
INTERNAL_NOTES = [
    "Checked the logs: authentication failures from the proxy.",
    "Looks like the known issue with the last patch.",
    "Waiting for the vendor's answer; ticket reference in the CRM.",
    "Reproduced on a test machine.",
]
RESOLUTIONS = [
    "Reset the profile and reinstalled the client.",
    "Replaced the faulty cable.",
    "Granted the permissions requested.",
    "Applied the vendor's workaround.",
    "Explained how to configure it; the requester confirmed.",
]
ESCALATION_REASONS = [
    "Needs server-side access that the service desk does not have.",
    "Beyond first-line troubleshooting; logs attached.",
    "Vendor-specific issue, needs the product specialists.",
]

# Share of tickets ending in each status (a helpdesk with a healthy open backlog).
STATUS_WEIGHTS = {
    "new": 4,
    "logged": 2,
    "categorized": 2,
    "prioritized": 5,
    "in_diagnosis": 14,
    "on_hold": 5,
    "escalated": 4,
    "resolved": 8,
    "closed": 56,
}
SOURCE_WEIGHTS = {"web": 55, "email": 25, "phone": 10, "api": 5, "monitoring": 5}
LEVELS = ["high", "medium", "low"]
LEVEL_WEIGHTS = [15, 50, 35]
# The tier a ticket worked on ends at (escalated tickets draw separately).
WORK_TIER_WEIGHTS = [65, 25, 10]

TICKET_COLUMNS = [
    "id",
    "kind",
    "title",
    "description",
    "source",
    "contact_name",
    "contact_email",
    "contact_phone",
    "affected",
    "impact",
    "urgency",
    "priority",
    "priority_is_provisional",
    "priority_override_reason",
    "tier",
    "status",
    "closure_code",
    "resolution_summary",
    "tracking_token",
    "created_at",
    "updated_at",
    "first_response_at",
    "last_escalated_at",
    "escalation_count",
    "resolved_at",
    "closed_at",
    "reopen_count",
    "assignee_id",
    "category_id",
    "organisation_id",
    "requester_id",
]
EVENT_COLUMNS = [
    "ticket_id",
    "actor_id",
    "created_at",
    "kind",
    "transition",
    "from_status",
    "to_status",
    "changes",
    "reason",
    "reason_is_internal",
]
COMMENT_COLUMNS = ["ticket_id", "author_id", "body", "is_internal", "created_at"]

TRACKED = [
    "kind",
    "category_id",
    "impact",
    "urgency",
    "priority",
    "priority_is_provisional",
    "priority_override_reason",
    "tier",
    "assignee_id",
    "closure_code",
    "resolution_summary",
]


def ensure_personas(n_requesters: int, n_orgs: int) -> dict:
    """Create what is missing; return the ids the generator draws from."""
    orgs = []
    for i in range(1, n_orgs + 1):
        org, _ = Organisation.objects.get_or_create(
            name=f"Bench Org {i:03d}", defaults={"share_tickets": i % 4 == 0}
        )
        orgs.append(org.pk)

    unusable = make_password(None)  # no hashing cost; bench/api.py sets real passwords it needs
    existing = set(
        User.objects.filter(username__startswith="bench-").values_list("username", flat=True)
    )
    new_users = []
    rnd = random.Random(42)
    for i in range(1, n_requesters + 1):
        username = f"bench-req-{i:05d}"
        if username not in existing:
            new_users.append(
                User(
                    username=username,
                    email=f"{username}@example.com",
                    display_name=f"Requester {i:05d}",
                    role=Role.REQUESTER,
                    password=unusable,
                    phone=f"+34 600 {i:06d}",
                    organisation_id=orgs[rnd.randrange(len(orgs))]
                    if orgs and rnd.random() < 0.7
                    else None,
                )
            )
    for tier, count in AGENTS_PER_TIER.items():
        for i in range(1, count + 1):
            username = f"bench-l{tier}-{i:02d}"
            if username not in existing:
                new_users.append(
                    User(
                        username=username,
                        email=f"{username}@helpdesk.example.com",
                        display_name=f"L{tier} agent {i:02d}",
                        role=Role.AGENT,
                        password=unusable,
                    )
                )
    if "bench-manager" not in existing:
        new_users.append(
            User(
                username="bench-manager",
                email="bench-manager@helpdesk.example.com",
                display_name="Bench manager",
                role=Role.MANAGER,
                password=unusable,
            )
        )
    User.objects.bulk_create(new_users, batch_size=1000)

    agents: dict[int, list[int]] = {}
    for tier, count in AGENTS_PER_TIER.items():
        group, _ = SupportGroup.objects.get_or_create(
            name=GROUP_NAMES[tier], defaults={"tier": tier}
        )
        ids = list(
            User.objects.filter(username__startswith=f"bench-l{tier}-")
            .order_by("username")
            .values_list("pk", flat=True)[:count]
        )
        group.members.add(*ids)
        agents[tier] = ids

    requesters = list(
        User.objects.filter(username__startswith="bench-req-")
        .order_by("username")
        .values_list("pk", "display_name", "email", "phone", "organisation_id")[:n_requesters]
    )

    subcategories = []
    for (name, name_es), children in CATEGORIES.items():
        top, _ = Category.objects.get_or_create(
            parent=None, name=name, defaults={"name_es": name_es}
        )
        for child, child_es in children:
            sub, _ = Category.objects.get_or_create(
                parent=top, name=child, defaults={"name_es": child_es}
            )
            subcategories.append(sub.pk)
    return {"requesters": requesters, "agents": agents, "subcategories": subcategories}


# --- the generator ----------------------------------------------------------------------------


class Generator:
    def __init__(self, personas: dict, *, days: int, seed: int | None) -> None:
        self.rnd = random.Random(seed)
        self.requesters = personas["requesters"]
        self.agents = personas["agents"]
        self.subcategories = personas["subcategories"]
        self.now = datetime.now(UTC)
        self.window = timedelta(days=days).total_seconds()
        self.statuses = list(STATUS_WEIGHTS)
        self.status_cum = _cumulative(STATUS_WEIGHTS.values())
        self.sources = list(SOURCE_WEIGHTS)
        self.source_cum = _cumulative(SOURCE_WEIGHTS.values())
        self.level_cum = _cumulative(LEVEL_WEIGHTS)
        self.tier_cum = _cumulative(WORK_TIER_WEIGHTS)

    def chunk(self, first_id: int, n: int, start_offset: float, end_offset: float):
        """n tickets with ids first_id.., created between now-start_offset and now-end_offset s."""
        rnd = self.rnd
        span = start_offset - end_offset
        # Sorted creation times, so that id order is time order, as in production.
        offsets = sorted((start_offset - rnd.random() * span for _ in range(n)), reverse=True)
        tickets, events, comments = [], [], []
        for i in range(n):
            self._ticket(first_id + i, offsets[i], tickets, events, comments)
        return tickets, events, comments

    def _pick(self, items, cum):
        return items[_bisect(cum, self.rnd.random() * cum[-1])]

    def _ticket(self, tid, offset, tickets, events, comments) -> None:
        rnd = self.rnd
        now = self.now
        created = now - timedelta(seconds=offset)
        req_id, req_name, req_email, req_phone, org_id = self.requesters[
            int(len(self.requesters) * rnd.random() ** 2)  # a few requesters file most tickets
        ]
        target = self._pick(self.statuses, self.status_cum)
        urgency = LEVELS[_bisect(self.level_cum, rnd.random() * 100)]
        source = self._pick(self.sources, self.source_cum)
        t = {
            "kind": "service_request" if rnd.random() < 0.1 else "incident",
            "category_id": rnd.choice(self.subcategories) if rnd.random() < 0.4 else None,
            "impact": "low",
            "urgency": urgency,
            "priority": _MATRIX[("low", urgency)],
            "priority_is_provisional": True,
            "priority_override_reason": "",
            "tier": 1,
            "assignee_id": None,
            "closure_code": "",
            "resolution_summary": "",
        }
        ms = {
            "first_response_at": None,
            "last_escalated_at": None,
            "escalation_count": 0,
            "resolved_at": None,
            "closed_at": None,
            "reopen_count": 0,
        }
        status = "new"
        evs = []  # (actor, name, from, to, changes, reason, internal) before times are known
        l1 = self.agents[1]

        def step(actor, name, to, reason="", internal=False, **changes_to):
            nonlocal status
            diff = {}
            for field, value in changes_to.items():
                if field in t:
                    if t[field] != value:
                        diff[field] = [t[field], value]
                    t[field] = value
            evs.append((actor, name, status, to, diff, reason, internal))
            status = to

        # How far the ticket goes before its final step.
        cancel_from = None
        if target == "closed" and rnd.random() < 0.12:
            cancel_from = rnd.choice(
                ["new", "new", "logged", "categorized", "prioritized", "in_diagnosis", "on_hold"]
            )
        reach = cancel_from or target
        order = ["new", "logged", "categorized", "prioritized", "in_diagnosis"]
        depth = order.index(reach) if reach in order else 4

        triager = rnd.choice(l1)
        if depth >= 1:
            new_kind = "service_request" if rnd.random() < 0.2 else "incident"
            step(triager, "identify", "logged", kind=new_kind)
        if depth >= 2:
            step(triager, "categorize", "categorized", category_id=rnd.choice(self.subcategories))
        if depth >= 3:
            impact = LEVELS[_bisect(self.level_cum, rnd.random() * 100)]
            priority = _MATRIX[(impact, t["urgency"])]
            reason = ""
            if rnd.random() < 0.05:
                priority, reason = (
                    rnd.randint(1, 5),
                    "Business-critical period; agreed with the manager.",
                )
            step(
                triager,
                "prioritize",
                "prioritized",
                reason=reason,
                impact=impact,
                priority=priority,
                priority_is_provisional=False,
                priority_override_reason=reason,
            )

        take_index = None
        if depth >= 4:
            if target == "escalated":
                final_tier = 2 if rnd.random() < 0.7 else 3
                work_tier = final_tier - 1
            else:
                final_tier = work_tier = 1 + _bisect(self.tier_cum, rnd.random() * 100)
            take_index = len(evs)
            first_agent = triager if rnd.random() < 0.5 else rnd.choice(l1)
            step(first_agent, "take", "in_diagnosis", assignee_id=first_agent)
            for tier in range(2, work_tier + 1):
                step(
                    t["assignee_id"],
                    "escalate",
                    "escalated",
                    reason=rnd.choice(ESCALATION_REASONS),
                    internal=True,
                    tier=tier,
                    assignee_id=None,
                )
                ms["escalation_count"] += 1
                ms["last_escalated_at"] = len(evs) - 1  # index; replaced by its time below
                agent = rnd.choice(self.agents[tier])
                step(agent, "take", "in_diagnosis", assignee_id=agent)
            if rnd.random() < 0.2 and target != "on_hold" and cancel_from != "on_hold":
                step(
                    t["assignee_id"],
                    "hold",
                    "on_hold",
                    reason="Waiting for the requester's screenshot.",
                )
                step(req_id, "resume", "in_diagnosis", reason="The requester replied.")
            if target == "escalated":
                step(
                    t["assignee_id"],
                    "escalate",
                    "escalated",
                    reason=rnd.choice(ESCALATION_REASONS),
                    internal=True,
                    tier=final_tier,
                    assignee_id=None,
                )
                ms["escalation_count"] += 1
                ms["last_escalated_at"] = len(evs) - 1
            elif target == "on_hold" or cancel_from == "on_hold":
                step(t["assignee_id"], "hold", "on_hold", reason="Waiting for the requester.")
            elif target in ("resolved", "closed") and cancel_from is None:
                agent = t["assignee_id"]
                if rnd.random() < 0.08:  # resolved once, rejected by the requester, resolved again
                    step(
                        agent,
                        "resolve",
                        "resolved",
                        closure_code=rnd.choice(RESOLUTION_CODES),
                        resolution_summary=rnd.choice(RESOLUTIONS),
                    )
                    step(
                        req_id, "reopen", "in_diagnosis", reason="Still happening.", closure_code=""
                    )
                    ms["reopen_count"] += 1
                step(
                    agent,
                    "resolve",
                    "resolved",
                    closure_code=rnd.choice(RESOLUTION_CODES),
                    resolution_summary=rnd.choice(RESOLUTIONS),
                )
                if target == "closed":
                    r = rnd.random()
                    closer = req_id if r < 0.4 else (None if r < 0.9 else agent)
                    step(
                        closer,
                        "close",
                        "closed",
                        reason="" if closer else "Closed automatically after 5 days without reply.",
                    )
        if cancel_from is not None:
            if cancel_from == "new" and rnd.random() < 0.6:
                actor, code = req_id, "withdrawn"
            else:
                actor = t["assignee_id"] or triager
                code = rnd.choice(CANCEL_CODES)
            step(actor, "cancel", "closed", closure_code=code)

        # Times: created, then each event after a random gap that keeps the last one in the past.
        k = len(evs)
        slot = min(offset / (k + 3), 2 * 86400.0)
        times = []
        at = created
        for _ in range(k):
            at = at + timedelta(seconds=rnd.random() * slot)
            times.append(at)
        updated = times[-1] if times else created

        # Milestones follow the events that set them.
        resolved_at = closed_at = first_resolve = None
        for (_, name, *_rest), when in zip(evs, times, strict=True):
            if name == "resolve":
                resolved_at = when
                first_resolve = first_resolve or when
            elif name == "reopen":
                resolved_at = None
            elif name in ("close", "cancel"):
                closed_at = when
        ms["resolved_at"], ms["closed_at"] = resolved_at, closed_at
        if ms["last_escalated_at"] is not None:
            ms["last_escalated_at"] = times[ms["last_escalated_at"]]

        # Comments: an agent reply after the take (first response), then some chatter.
        ticket_comments = []
        if take_index is not None:
            take_at = times[take_index]
            end = updated
            if rnd.random() < 0.75:
                reply_at = take_at + (end - take_at) * (rnd.random() * 0.3)
                ticket_comments.append((first_agent, rnd.choice(AGENT_REPLIES), False, reply_at))
                ms["first_response_at"] = reply_at
            for _ in range(rnd.randint(0, 2)):
                when = take_at + (end - take_at) * rnd.random()
                if rnd.random() < 0.5:
                    ticket_comments.append((req_id, rnd.choice(REQUESTER_REPLIES), False, when))
                else:
                    ticket_comments.append(
                        (rnd.choice(self.agents[t["tier"]]), rnd.choice(INTERNAL_NOTES), True, when)
                    )
        elif status in ("new", "logged") and rnd.random() < 0.1:
            ticket_comments.append(
                (
                    req_id,
                    rnd.choice(REQUESTER_REPLIES),
                    False,
                    created + (now - created) * rnd.random() * 0.5,
                )
            )
        # Resolving is a public reply too: the first response is whichever came first.
        if first_resolve is not None and (
            ms["first_response_at"] is None or first_resolve < ms["first_response_at"]
        ):
            ms["first_response_at"] = first_resolve

        assert status == target, (status, target)
        tickets.append(
            (
                tid,
                t["kind"],
                rnd.choice(TITLES) + rnd.choice(PLACES),
                rnd.choice(DESCRIPTIONS),
                source,
                req_name,
                req_email,
                req_phone if source == "phone" else "",
                "",
                t["impact"],
                t["urgency"],
                t["priority"],
                t["priority_is_provisional"],
                t["priority_override_reason"],
                t["tier"],
                status,
                t["closure_code"],
                t["resolution_summary"],
                secrets.token_urlsafe(24),
                created,
                updated,
                ms["first_response_at"],
                ms["last_escalated_at"],
                ms["escalation_count"],
                resolved_at,
                closed_at,
                ms["reopen_count"],
                t["assignee_id"],
                t["category_id"],
                org_id,
                req_id,
            )
        )
        events.append((tid, req_id, created, "created", "", "", "new", {}, "", False))
        for (actor, name, frm, to, diff, reason, internal), when in zip(evs, times, strict=True):
            events.append((tid, actor, when, "transition", name, frm, to, diff, reason, internal))
        for author, body, internal, when in ticket_comments:
            comments.append((tid, author, body, internal, when))


def _cumulative(weights):
    total, out = 0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _bisect(cum, x):
    for i, c in enumerate(cum):
        if x < c:
            return i
    return len(cum) - 1


# --- sinks --------------------------------------------------------------------------------------


def copy_rows(cursor, table: str, columns: list[str], rows, json_col: int | None = None) -> None:
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with cursor.copy(sql) as copy:
        write = copy.write_row
        if json_col is None:
            for row in rows:
                write(row)
        else:
            dumps = json.dumps
            for row in rows:
                row = list(row)
                row[json_col] = dumps(row[json_col])
                write(row)


def write_chunk_postgres(tickets, events, comments) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        copy_rows(cursor, "tickets_ticket", TICKET_COLUMNS, tickets)
        copy_rows(cursor, "tickets_ticketevent", EVENT_COLUMNS, events, json_col=7)
        copy_rows(cursor, "tickets_comment", COMMENT_COLUMNS, comments)


def write_chunk_orm(tickets, events, comments) -> None:
    with transaction.atomic():
        Ticket.objects.bulk_create(
            [Ticket(**dict(zip(TICKET_COLUMNS, row, strict=True))) for row in tickets],
            batch_size=500,
        )
        TicketEvent.objects.bulk_create(
            [TicketEvent(**dict(zip(EVENT_COLUMNS, row, strict=True))) for row in events],
            batch_size=500,
        )
        Comment.objects.bulk_create(
            [Comment(**dict(zip(COMMENT_COLUMNS, row, strict=True))) for row in comments],
            batch_size=500,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "n", nargs="?", type=int, default=100_000, help="tickets to add (default 100000)"
    )
    parser.add_argument(
        "--chunk", type=int, default=10_000, help="tickets per transaction (default 10000)"
    )
    parser.add_argument(
        "--days", type=int, default=365, help="spread creation over the last DAYS days"
    )
    parser.add_argument(
        "--requesters", type=int, default=3000, help="requester accounts (default 3000)"
    )
    parser.add_argument("--orgs", type=int, default=40, help="organisations (default 40)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument(
        "--no-vacuum",
        action="store_true",
        help="PostgreSQL: plain ANALYZE instead of VACUUM (ANALYZE) at the end",
    )
    args = parser.parse_args()

    vendor = connection.vendor
    print(f"database: {vendor} {connection.settings_dict.get('NAME')}")
    t_start = time.perf_counter()
    personas = ensure_personas(args.requesters, args.orgs)
    print(
        f"personas ready: {len(personas['requesters'])} requesters, "
        f"{ {t: len(a) for t, a in personas['agents'].items()} } agents by tier, "
        f"{len(personas['subcategories'])} subcategories ({time.perf_counter() - t_start:.1f}s)"
    )

    # Reserve the id range up front so that nothing else can take these ids meanwhile.
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence('tickets_ticket', 'id')")
            seq = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT setval(%s, GREATEST((SELECT COALESCE(MAX(id), 0) FROM tickets_ticket), "
                f"(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {seq})) + %s) - %s",
                [seq, args.n, args.n],
            )
            base = cursor.fetchone()[0]
        else:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM tickets_ticket")
            base = cursor.fetchone()[0]
    first_id = base + 1

    gen = Generator(personas, days=args.days, seed=args.seed)
    write_chunk = write_chunk_postgres if vendor == "postgresql" else write_chunk_orm
    window = gen.window
    done = n_events = n_comments = 0
    t_insert = time.perf_counter()
    gen_time = 0.0
    while done < args.n:
        n = min(args.chunk, args.n - done)
        # The batch covers the whole window, oldest first; chunk k gets the k-th slice of it.
        start_off = window * (1 - done / args.n)
        end_off = window * (1 - (done + n) / args.n)
        t0 = time.perf_counter()
        tickets, events, comments = gen.chunk(first_id + done, n, start_off, end_off)
        gen_time += time.perf_counter() - t0
        write_chunk(tickets, events, comments)
        done += n
        n_events += len(events)
        n_comments += len(comments)
        elapsed = time.perf_counter() - t_insert
        if done == args.n or (done // args.chunk) % 10 == 0:
            print(
                f"  {done:>9} tickets  {n_events:>9} events  {n_comments:>9} comments  "
                f"{elapsed:7.1f}s  {done / elapsed:8.0f} tickets/s",
                flush=True,
            )
    insert_elapsed = time.perf_counter() - t_insert

    t_maint = time.perf_counter()
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            for table in ("tickets_ticket", "tickets_ticketevent", "tickets_comment"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            verb = "ANALYZE" if args.no_vacuum else "VACUUM (ANALYZE)"
            cursor.execute(
                f"{verb} tickets_ticket, tickets_ticketevent, tickets_comment, "
                "accounts_user, tickets_category"
            )
        else:
            cursor.execute("ANALYZE")
    maint_elapsed = time.perf_counter() - t_maint
    total = time.perf_counter() - t_start

    rows = args.n + n_events + n_comments
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM tickets_ticket")
        in_db = cursor.fetchone()[0]
    print()
    print(f"tickets inserted  : {args.n} (ids {first_id}..{first_id + args.n - 1})")
    print(f"events inserted   : {n_events} ({n_events / max(args.n, 1):.2f} per ticket)")
    print(f"comments inserted : {n_comments}")
    print(f"total rows        : {rows}")
    print(
        f"insert time       : {insert_elapsed:.1f}s (of which generating rows in Python {gen_time:.1f}s)"
    )
    print(f"tickets/s         : {args.n / insert_elapsed:,.0f}")
    print(f"total rows/s      : {rows / insert_elapsed:,.0f}")
    print(
        f"{'analyze' if vendor != 'postgresql' or args.no_vacuum else 'vacuum analyze'} + sequences: "
        f"{maint_elapsed:.1f}s"
    )
    print(f"elapsed           : {total:.1f}s")
    print(f"tickets in db     : {in_db}")


if __name__ == "__main__":
    main()
