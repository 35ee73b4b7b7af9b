"""What a requester's API answers carry: every field of every requester-visible endpoint is
walked against an allow-list (issue 17, item 5). Staff-only fields (who holds the ticket, the
agents' assessment, a priority override's reason, the escalation record) and the team's own
timeline (classification steps, field changes, SLA events, internal reasons) never reach them.
"""

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from escalation.services import call_schedule
from kb.models import Article, Visibility
from tests.security.access_table import ROWS
from tickets import services
from tickets.models import Level, Priority, Status, Ticket

pytestmark = pytest.mark.django_db

SECRETS = (
    "SECRET-OVERRIDE-REASON",
    "SECRET-ESCALATION-REASON",
    "SECRET-UPDATE-REASON",
    "SECRET-INTERNAL-NOTE",
    "internal-secret.txt",
    "SECRET-CALL-NOTES",
)

USER_REF = {"id", "name"}
CLOCK = {
    "metric",
    "cycle",
    "state",
    "priority",
    "target_seconds",
    "started_at",
    "due_at",
    "at_risk_at",
    "stopped_at",
    "paused_seconds",
    "remaining_seconds",
    "at_risk",
    "breached",
}


def _object(fields: set[str], **nested: set[str]) -> set[str]:
    """Field paths of an object: `a`, `b.c` for nested objects, `d[]` / `d[].e` for lists."""
    paths = set(fields)
    for name, inner in nested.items():
        list_name = name.removesuffix("__list")
        if name.endswith("__list"):
            paths |= {list_name, f"{list_name}[]", *(f"{list_name}[].{f}" for f in inner)}
        else:
            paths |= {name, *(f"{name}.{f}" for f in inner)}
    return paths


TICKET_ROW = _object(
    {
        "id",
        "reference",
        "title",
        "kind",
        "status",
        "status_display",
        "priority",
        "priority_is_provisional",
        "tier",
        "category",
        "category_path",
        "source",
        "created_at",
        "updated_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
    },
    requester=USER_REF,
    sla__list=CLOCK,
)
TICKET = TICKET_ROW | {
    "description",
    "contact_name",
    "contact_email",
    "contact_phone",
    "affected",
    "urgency",
    "closure_code",
    "resolution_summary",
    "reopen_count",
    "allowed_transitions",
    "allowed_transitions[]",
}
ATTACHMENT = {"id", "filename", "content_type", "size", "is_internal", "created_at"}
COMMENT = _object({"id", "body", "is_internal", "created_at"}, author=USER_REF)
COMMENT |= {"attachments", "attachments[]", *(f"attachments[].{f}" for f in ATTACHMENT)}
EVENT = _object(
    {"id", "created_at", "kind", "transition", "from_status", "to_status", "changes", "reason"},
    actor=USER_REF,
)
CALL = _object(
    {
        "id",
        "ticket",
        "starts_at",
        "ends_at",
        "duration_minutes",
        "medium",
        "link_or_number",
        "status",
        "sequence",
    },
    organiser=USER_REF,
)
ARTICLE = {"id", "title", "language", "category", "visibility", "updated_at", "url"}


def _list(paths: set[str]) -> set[str]:
    return {"[]", *(f"[].{p}" for p in paths)}


BELL = {
    "id",
    "kind",
    "kind_label",
    "ticket",
    "ticket_reference",
    "ticket_title",
    "url",
    "created_at",
    "read_at",
    "is_read",
}


# Every API endpoint a requester may read, with what its answer may hold.
ALLOWED: dict[str, set[str]] = {
    "/api/tickets/": {"next", "previous", *_object(set(), results__list=TICKET_ROW)},
    "/api/tickets/{ticket}/": TICKET,
    "/api/tickets/{ticket}/comments/": _list(COMMENT),
    "/api/tickets/{ticket}/history/": _list(EVENT),
    "/api/tickets/{ticket}/calls/": _list(CALL),
    "/api/calls/{call}/": CALL,
    "/api/me/": {"id", "username", "name", "email", "role", "language", "time_zone"}
    | _object(set(), tiers__list=set()),
    "/api/categories/": _list({"id", "name", "name_es", "parent", "path", "is_active"}),
    "/api/categories/{category}/": {"id", "name", "name_es", "parent", "path", "is_active"},
    "/api/kb/articles/": _list(ARTICLE),
    "/api/kb/articles/{article}/": ARTICLE | {"body", "category_id", "source_ticket_id"},
    "/api/kb/suggest/": _list(ARTICLE),
    # Their own bell (issue 21 item 5): a kind, a ticket they read, when.
    "/api/notifications/": {"next", "previous", *_object(set(), results__list=BELL)},
    "/api/notifications/unread-count/": {"unread"},
    # Their own API tokens: never the key itself (shown once, when made).
    "/api/auth/tokens/": _list(
        {"id", "name", "prefix", "created_at", "last_used_at", "expires_at", "current"}
    ),
}
# What a requester's writes answer with.
ALLOWED_WRITES = {
    "POST /api/tickets/": TICKET,
    # The author's unreached @mentions: always an empty list for a requester (whose @names
    # notify nobody and are never reported, so they learn nothing of who has an account).
    "POST /api/tickets/{ticket}/comments/": COMMENT
    | {"mentions_not_notified", "mentions_not_notified[]"},
    "POST /api/tickets/{ticket}/cancel/": TICKET,
}


def _paths(value: Any, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= _paths(inner, path)
    elif isinstance(value, list):
        path = f"{prefix}[]"
        paths.add(path)
        for inner in value:
            paths |= _paths(inner, path)
    return paths


@pytest.fixture
def world(make_ticket, requester, agent_l1, agent_l2, category):
    ticket = make_ticket(Status.CATEGORIZED)
    ticket = services.ticket_prioritize(
        ticket=ticket,
        actor=agent_l1,
        impact=Level.HIGH,
        urgency=Level.LOW,
        override=Priority.P2,
        reason="SECRET-OVERRIDE-REASON",
    )
    ticket = services.ticket_take(ticket=ticket, actor=agent_l1)
    ticket = services.ticket_update(
        ticket=ticket, actor=agent_l1, affected="Payroll", reason="SECRET-UPDATE-REASON"
    )
    ticket = services.ticket_escalate(
        ticket=ticket, actor=agent_l1, reason="SECRET-ESCALATION-REASON"
    )
    ticket = services.ticket_take(ticket=ticket, actor=agent_l2)
    services.comment_create(
        ticket=ticket,
        actor=agent_l2,
        body="SECRET-INTERNAL-NOTE",
        is_internal=True,
        files=[SimpleUploadedFile("internal-secret.txt", b"psst", "text/plain")],
    )
    services.comment_create(
        ticket=ticket,
        actor=agent_l2,
        body="Could you send a screenshot?",
        files=[SimpleUploadedFile("public.txt", b"hello", "text/plain")],
    )
    call = call_schedule(
        ticket=ticket,
        actor=agent_l2,
        starts_at=timezone.now() + timedelta(days=1),
        duration_minutes=30,
        medium="phone",
        link_or_number="+34 600 000 000",
        notes="SECRET-CALL-NOTES",
    )
    article = Article.objects.create(
        title="Reset your password",
        body="Use the link.",
        visibility=Visibility.PUBLIC,
        author=agent_l1,
        source_ticket=ticket,
    )
    return {
        "ticket": ticket.pk,
        "call": call.pk,
        "category": ticket.category_id,
        "article": article.pk,
    }


def test_the_allow_list_names_every_requester_visible_api_route():
    readable = {
        row.url.replace("{public_article}", "{article}")
        for row in ROWS
        if row.method == "get" and row.url.startswith("/api/") and "requester" in row.allowed
    }
    assert readable <= set(ALLOWED), readable - set(ALLOWED)


@pytest.mark.parametrize("persona", ["requester", "security_officer"])
def test_every_field_a_reader_outside_support_gets_is_allowed(api, request, world, persona):
    if persona == "security_officer":
        from breaches import services as breach_services

        breach_services.breach_flag_ticket(
            ticket=Ticket.objects.get(pk=world["ticket"]),
            actor=request.getfixturevalue("agent_l2"),
            description="Wrong recipient",
        )
    client = api(request.getfixturevalue(persona))
    problems = []
    for route, allowed in ALLOWED.items():
        url = route.format(**world)
        response = client.get(url, {"q": "password"} if "suggest" in url else None)
        assert response.status_code == 200, (url, response.status_code)
        body = response.content.decode()
        problems += [f"{url}: sees {secret}" for secret in SECRETS if secret in body]
        problems += [f"{url}: field {p}" for p in sorted(_paths(response.json()) - allowed)]
    assert not problems, "\n".join(problems)


def test_the_requesters_timeline_is_the_one_the_page_shows(api, requester, world):
    events = api(requester).get(f"/api/tickets/{world['ticket']}/history/").json()
    assert [(e["kind"], e["transition"]) for e in events] == [
        ("created", ""),
        ("transition", "take"),
        ("transition", "escalate"),
        ("transition", "take"),
    ]
    assert all(e["changes"] == {} for e in events)
    assert all(e["reason"] == "" for e in events)  # the escalation's reason is internal


def test_the_requesters_writes_answer_with_allowed_fields_only(api, requester, world):
    client = api(requester)
    answers = {
        "POST /api/tickets/": client.post(
            "/api/tickets/", {"title": "t", "description": "d"}, format="json"
        ),
        "POST /api/tickets/{ticket}/comments/": client.post(
            f"/api/tickets/{world['ticket']}/comments/", {"body": "Here it is"}, format="json"
        ),
        "POST /api/tickets/{ticket}/cancel/": client.post(
            f"/api/tickets/{world['ticket']}/cancel/", {"code": "withdrawn"}, format="json"
        ),
    }
    for name, response in answers.items():
        assert response.status_code in (200, 201), (name, response.content)
        extra = _paths(response.json()) - ALLOWED_WRITES[name]
        assert not extra, (name, extra)
        assert not [s for s in SECRETS if s in response.content.decode()], name


def test_staff_still_read_every_field(api, agent_l2, world):
    body = api(agent_l2).get(f"/api/tickets/{world['ticket']}/").json()
    assert body["priority_override_reason"] == "SECRET-OVERRIDE-REASON"
    assert body["assignee"]["name"] and body["impact"] == Level.HIGH
    history = api(agent_l2).get(f"/api/tickets/{world['ticket']}/history/").json()
    assert "prioritize" in [e["transition"] for e in history]


def test_a_public_article_does_not_name_its_source_ticket_to_requesters(api, requester, world):
    body = api(requester).get(f"/api/kb/articles/{world['article']}/").json()
    assert body["source_ticket_id"] is None
