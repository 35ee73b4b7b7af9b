"""Every endpoint and page in `access_table.ROWS`, tried as every persona and anonymously.

The world: one ticket of `requester`, escalated to L2 and held by agent_l2, with an internal note,
a public and an internal file, a scheduled call and a breach record (with evidence) linked to it;
and a major incident declared on another organisation's ticket. A refusal must not reveal the
object and must change nothing; the requester's views never show internal material.
"""

import fnmatch
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from accounts.services import api_token_issue
from breaches import services as breach_services
from breaches.models import BreachAuditEntry, BreachNote
from chat.models import ChatChannel, ChatDelivery
from chat.services import chat_channel_save
from escalation.models import OnCallShift, RoutingRule, ScheduledCall, SupportGroup, Tier
from escalation.services import call_schedule
from incidents import services as incident_services
from incidents.models import StatusUpdate
from kb.models import Article, Visibility
from notifications.models import InAppNotification, Notification
from ola.models import OlaTarget
from savedviews.models import SavedView
from sla.models import Calendar, SlaEvent, SlaPolicy
from tests.security.access_table import PERSONAS, ROWS, Row
from tickets import services
from tickets.models import Attachment, Comment, Level, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

REFUSED = {401, 403, 404, 405}


@pytest.fixture
def world(
    make_ticket,
    requester,
    other_requester,
    outsider,
    agent_l1,
    agent_l2,
    agent_l3,
    manager,
    security_officer,
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    ticket = services.ticket_escalate(
        ticket=ticket, actor=agent_l1, reason="SECRET-ESCALATION-REASON"
    )
    ticket = services.ticket_take(ticket=ticket, actor=agent_l2)
    services.comment_create(
        ticket=ticket, actor=agent_l2, body="SECRET-INTERNAL-NOTE", is_internal=True
    )
    public = services.attachment_add(
        ticket=ticket,
        actor=requester,
        upload=SimpleUploadedFile("public.txt", b"hello", "text/plain"),
    )
    internal = services.attachment_add(
        ticket=ticket,
        actor=agent_l2,
        upload=SimpleUploadedFile("internal-secret.txt", b"psst", "text/plain"),
        is_internal=True,
    )
    call = call_schedule(
        ticket=ticket,
        actor=agent_l2,
        starts_at=timezone.now() + timedelta(days=1),
        duration_minutes=30,
        medium="phone",
        link_or_number="+34 600 000 000",
    )
    breach = breach_services.breach_flag_ticket(
        ticket=ticket, actor=agent_l2, description="Wrong recipient"
    )
    (evidence,) = breach_services.breach_add_evidence(
        breach=breach,
        actor=security_officer,
        files=[SimpleUploadedFile("evidence.txt", b"log", "text/plain")],
    )
    other = make_ticket(Status.IN_DIAGNOSIS, requester=outsider, title="Outage")
    other = services.ticket_update(
        ticket=other, actor=agent_l1, impact=Level.HIGH, urgency=Level.HIGH, reason="Outage"
    )
    incident = incident_services.major_incident_declare(
        ticket=other,
        actor=agent_l1,
        public_title="Email is slow",
        message="Investigating.",
        next_update_due_at=timezone.now() + timedelta(minutes=30),
    )
    ticket.refresh_from_db()
    public_article = Article.objects.create(
        title="Reset your password",
        body="Use the link.",
        visibility=Visibility.PUBLIC,
        author=agent_l1,
    )
    internal_article = Article.objects.create(
        title="Gateway runbook",
        body="SECRET-INTERNAL-NOTE",
        visibility=Visibility.INTERNAL,
        author=agent_l1,
    )
    group = SupportGroup.objects.create(name="Network", tier=Tier.L2)
    shift = OnCallShift.objects.create(
        agent=agent_l3,
        tier=Tier.L3,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=8),
    )
    rule = RoutingRule.objects.create(name="Email to L2", target_tier=Tier.L2)
    calendar = Calendar.objects.create(name="Office", time_zone="Europe/Madrid")
    policy = SlaPolicy.objects.create(name="Contract", calendar=calendar)
    ola_target = OlaTarget.objects.create(tier=Tier.L2, priority=3, take_within=timedelta(hours=1))
    api_token, _key = api_token_issue(user=requester, name="world")
    saved_view = SavedView.objects.create(owner=agent_l1, name="Mine", query="queue=l1")
    chat_channel = chat_channel_save(
        actor=manager,
        channel=None,
        name="World room",
        support_group=group,
        platform="slack",
        events=["high_priority"],
        language="en",
        is_enabled=False,  # never sends: the test action only queues a row
        secret="https://hooks.slack.invalid/services/world",
    )
    users = {
        "requester": requester,
        "other_requester": other_requester,
        "outsider": outsider,
        "agent_l1": agent_l1,
        "agent_l2": agent_l2,
        "agent_l3": agent_l3,
        "manager": manager,
        "security_officer": security_officer,
    }
    # agent_l2's bell: the escalation to L2 above rang it.
    bell = InAppNotification.objects.get(recipient=agent_l2, kind="escalated_to_tier")
    ids = {
        "ticket": ticket.pk,
        "token": ticket.tracking_token,
        "public_file": public.pk,
        "internal_file": internal.pk,
        "call": call.pk,
        "breach": breach.pk,
        "evidence": evidence.pk,
        "incident": incident.pk,
        "category": ticket.category_id,
        "group": group.pk,
        "shift": shift.pk,
        "rule": rule.pk,
        "calendar": calendar.pk,
        "policy": policy.pk,
        "ola_target": ola_target.pk,
        "public_article": public_article.pk,
        "internal_article": internal_article.pk,
        "other_ticket": other.pk,
        "api_token": api_token.pk,
        "bell": bell.pk,
        "saved_view": saved_view.pk,
        "chat_channel": chat_channel.pk,
    }
    return users, ids


FINGERPRINT_MODELS = (
    Comment,
    TicketEvent,
    Attachment,
    ScheduledCall,
    BreachNote,
    BreachAuditEntry,
    SupportGroup,
    OnCallShift,
    RoutingRule,
    StatusUpdate,
    Notification,
    SlaEvent,
    ChatChannel,
    ChatDelivery,
)


def _fingerprint(ticket_id: int) -> tuple:
    """Everything a refused write could have touched, in one query."""
    counts = ", ".join(
        f"(SELECT count(*) FROM {model._meta.db_table})"  # noqa: S608 (our table names)
        for model in FINGERPRINT_MODELS
    )
    calls = ScheduledCall._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT status, tier, assignee_id, updated_at, {counts}, "  # noqa: S608
            f"(SELECT string_agg(status || starts_at::text, ',') FROM {calls}), "
            f"(SELECT string_agg(name || tier::text, ',') FROM {SupportGroup._meta.db_table}) "
            f"FROM {Ticket._meta.db_table} WHERE id = %s",
            [ticket_id],
        )
        return cursor.fetchone()


def _sessions(users) -> dict[str, str]:
    """One signed-in session per persona, made once per world (a sign-in costs as much as a
    page). Each request still comes from a fresh client carrying only that session's cookie, as
    a client just signed in does; each row is rolled back, so every request finds its persona's
    session as it was made, whatever an earlier row did to it (cycled, flushed, written)."""
    sessions = {}
    for persona, user in users.items():
        client = Client()
        client.force_login(user)
        sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return sessions


def _request(row: Row, persona: str, users, ids, api, sessions):
    url = row.url.format(**ids)
    data = {key: str(value).format(**ids) for key, value in row.data.items()}
    user = users.get(persona)
    if url.startswith("/api/"):
        client = api(user)
        if row.method == "get":
            return client.get(url)
        if row.method == "delete":
            return client.delete(url)
        if row.method in ("put", "patch"):
            return getattr(client, row.method)(url, data, format="json")
        return client.post(url, data, format="json")
    client = Client()
    if user is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[persona]
    return getattr(client, row.method)(url, data) if row.method == "post" else client.get(url)


def _refused(response) -> bool:
    if response.status_code in REFUSED:
        return True
    return response.status_code == 302 and response["Location"].startswith(
        ("/accounts/login/", "/admin/login/")
    )


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _check(row: Row, users, ids, api, sessions) -> list[str]:
    problems = []
    denied = [p for p in PERSONAS if p not in row.allowed]
    allowed = [p for p in PERSONAS if p in row.allowed]
    for persona in denied:  # refusals first: they must leave the world as it was
        before = _fingerprint(ids["ticket"])
        response = _request(row, persona, users, ids, api, sessions)
        reader = persona in row.readers
        code = response.status_code
        if row.readers and not reader and code in (302, 400, 403, 409) and not _refused(response):
            # Anything but a 404 tells a stranger that the object exists.
            problems.append(f"{persona}: {code} reveals the object (want 404)")
        elif row.readers and not reader and code == 403:
            problems.append(f"{persona}: 403 reveals that the object exists (want 404)")
        elif reader and code in (302, 400, 409):
            pass  # may read it, so may be told why not (a message, a form error, its state)
        elif code == 302 and row.method == "post" and not row.url.startswith("/api/"):
            pass  # an HTML form refused with a message on the page it came from
        elif not _refused(response):
            problems.append(f"{persona}: expected a refusal, got {code}")
        if _fingerprint(ids["ticket"]) != before:
            problems.append(f"{persona}: a refused request changed the database")
    for persona in allowed:
        response = _request(row, persona, users, ids, api, sessions)
        if _refused(response) or response.status_code >= 500:
            problems.append(f"{persona}: expected access, got {response.status_code}")
            continue
        if row.method == "get" and persona in ("requester", "anonymous"):
            body = _body(response)
            problems.extend(
                f"{persona}: sees {secret!r}"
                for secret in row.hidden_from_requester
                if secret in body
            )
    return [f"{row.id} — {problem}" for problem in problems]


CHUNKS = 4  # one world per chunk of rows (xdist spreads the chunks); rows roll back in between


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_every_persona_gets_exactly_what_the_table_allows(chunk: int, world, api):
    users, ids = world
    sessions = _sessions(users)
    problems = []
    for row in ROWS[chunk::CHUNKS]:
        # Each row runs in a savepoint rolled back afterwards, so rows cannot affect each other.
        with transaction.atomic():
            problems.extend(_check(row, users, ids, api, sessions))
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)


# Routes that need no access row: framework plumbing, the API roots and the sign-in pages.
UNGUARDED = (
    "admin/",
    "i18n/",
    "accounts/login",
    "accounts/logout",
    "accounts/signup",
    "accounts/language",
    "api/schema/",
    "api/docs/",
)
API_ROOTS = {"api/", "api/sla/", "api/ola/"}


def _shape(route: str) -> str:
    route = re.sub(r"\(\?P<\w+>[^)]*\)|<[^>]+>|\{\w+\}", "*", route)
    return route.replace("^", "").replace("$", "").lstrip("/")


def test_the_table_covers_every_route():
    """A new route without a row in the table is a gap in the access test."""

    def walk(patterns, prefix=""):  # every route as written, resolvers flattened
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    covered = {_shape(row.url) for row in ROWS}  # a row may name one value of a <name> part
    routes = {
        _shape(r)
        for r in walk(get_resolver().url_patterns)
        if "format" not in r and not r.startswith(UNGUARDED)
    }
    missing = sorted(
        route
        for route in routes - API_ROOTS
        if not any(fnmatch.fnmatchcase(shape, route) for shape in covered)
    )
    assert not missing, missing
