"""What each write costs the database: statements pinned, and constant in the number of
tickets, clocks and recipients (issue 19)."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from chat.selectors import chat_routes
from escalation.models import Tier
from escalation.selectors import routing_rules_for_evaluation
from helpdesk.config_cache import config_cache_reset
from ola.selectors import ola_target_table
from sla.models import ClockState, Metric, SlaClock
from sla.selectors import policy_rules
from tests.factories import AgentFactory, UserFactory
from tests.sla.conftest import at
from tickets import services
from tickets.models import ClosureCode, Status, Ticket

pytestmark = pytest.mark.django_db


def _ticket_updates(ctx: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith('UPDATE "tickets_ticket"')
    ]


def test_resolve_writes_the_ticket_row_once_with_its_time_to_resolve(make_ticket, agent_l1):
    with time_machine.travel(at(9), tick=False) as traveller:
        ticket = make_ticket(Status.IN_DIAGNOSIS)
        traveller.move_to(at(10))
        services.ticket_hold(ticket=ticket, actor=agent_l1, reason="Waiting for logs")
        traveller.move_to(at(11, 30))
        services.ticket_resume(ticket=ticket, actor=agent_l1)
        traveller.move_to(at(13))

        with CaptureQueriesContext(connection) as ctx:
            services.ticket_resolve(
                ticket=ticket, actor=agent_l1, summary="Restarted it.", code=ClosureCode.FIXED
            )

    updates = _ticket_updates(ctx)
    assert len(updates) == 1
    assert "\"status\" = 'resolved'" in updates[0]
    assert '"time_to_resolve"' in updates[0]
    ticket = Ticket.objects.get(pk=ticket.pk)
    # 4 h from creation, 1.5 h of them on hold.
    assert ticket.time_to_resolve is not None
    assert ticket.time_to_resolve.total_seconds() == 2.5 * 3600


# --- every write endpoint: statements pinned, the same with few or many rows ------------------
#
# "few": the ticket alone, its own two clocks, one recipient per notification (one L2 agent,
# one manager).
# "many": 6 more tickets, 5 more (stopped) clocks on the ticket, 4 more L2 agents (escalation
# notices) and 3 more managers (raise to management). Each count is the whole request:
# authentication (token + user, or session + user), the agent's tiers, the locked ticket,
# the writes, and the answer.


def _extra_clocks(ticket: Ticket, n: int) -> None:
    now = timezone.now()
    SlaClock.objects.bulk_create(
        SlaClock(
            ticket=ticket,
            metric=Metric.NEXT_RESPONSE,
            cycle=cycle,
            priority=ticket.priority,
            started_at=now - timedelta(hours=3),
            target=timedelta(hours=1),
            at_risk_at=now - timedelta(hours=2, minutes=15),
            warning_at=now - timedelta(hours=2, minutes=6),
            due_at=now - timedelta(hours=2),
            stopped_at=now - timedelta(hours=2, minutes=30),
            state=ClockState.MET,
        )
        for cycle in range(10, 10 + n)
    )


@pytest.fixture(params=["few", "many"])
def world(request, make_ticket, requester, manager):
    """How much else there is; the counts must not depend on it."""
    if request.param == "many":
        for status in (Status.NEW, Status.IN_DIAGNOSIS, Status.RESOLVED) * 2:
            make_ticket(status, title="Another ticket")
        for n in range(4):
            AgentFactory(username=f"l2_extra_{n}", tier=Tier.L2)
        for n in range(3):
            UserFactory(username=f"manager_extra_{n}", role=Role.MANAGER)
    return request.param


def _ticket_in(world: str, make_ticket, status: str) -> Ticket:
    ticket = make_ticket(status)
    if world == "many":
        _extra_clocks(ticket, 5)
    return ticket


def _count(call) -> tuple[int, Any, list[str]]:
    # As in production between configuration changes: routing rules, SLA policies and OLA
    # targets are kept per process (helpdesk.config_cache); the fixtures' saves count as
    # committed.
    config_cache_reset()
    routing_rules_for_evaluation()
    policy_rules()
    chat_routes()
    ola_target_table()
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    return len(ctx.captured_queries), response, [q["sql"][:120] for q in ctx.captured_queries]


# Issue 22 (OLAs): a write that may move an OLA clock (a change of tier, assignee or priority;
# hold, resume, resolve, reopen, cancel, close) reads the ticket's OLA clocks FOR UPDATE (+1) and
# writes those that change (+1); the API's answer carries the clocks (+1, staff only).
# name: (actor, start status, path suffix or None for the ticket list, body, statements)
API_WRITES: dict[str, tuple[str, str, str, dict[str, Any], int]] = {
    "create": ("requester", "", "", {"title": "Printer", "description": "Jammed"}, 7),
    "reply (requester)": ("requester", Status.IN_DIAGNOSIS, "comments/", {"body": "More"}, 12),
    "reply (agent)": ("agent_l1", Status.IN_DIAGNOSIS, "comments/", {"body": "On it"}, 17),
    "note (agent)": (
        "agent_l1",
        Status.IN_DIAGNOSIS,
        "comments/",
        {"body": "Internal", "is_internal": True},
        8,
    ),
    "update": ("agent_l1", Status.IN_DIAGNOSIS, "", {"title": "Printer jammed"}, 11),
    "triage": (
        "agent_l1",
        Status.NEW,
        "triage/",
        {"kind": "incident", "category": "CATEGORY", "impact": "high", "urgency": "high"},
        37,
    ),
    "identify": ("agent_l1", Status.NEW, "identify/", {"kind": "incident"}, 11),
    "categorize": ("agent_l1", Status.LOGGED, "categorize/", {"category": "CATEGORY"}, 15),
    "prioritize": (
        "agent_l1",
        Status.CATEGORIZED,
        "prioritize/",
        {"impact": "medium", "urgency": "high"},
        16,
    ),
    "take": ("agent_l1", Status.PRIORITIZED, "take/", {}, 12),
    "start diagnosis": (
        "agent_l1",
        Status.PRIORITIZED,
        "start-diagnosis/",
        {"assignee": "AGENT_L1"},
        14,
    ),
    "escalate": ("agent_l1", Status.IN_DIAGNOSIS, "escalate/", {"reason": "Network"}, 17),
    "deescalate": ("agent_l2", Status.ESCALATED, "deescalate/", {"reason": "Back"}, 13),
    "reassign": (
        "agent_l1",
        Status.IN_DIAGNOSIS,
        "reassign/",
        {"assignee": "OTHER_L1", "reason": "Holiday"},
        15,
    ),
    "raise": ("agent_l1", Status.IN_DIAGNOSIS, "raise/", {"reason": "Angry customer"}, 12),
    "hold": ("agent_l1", Status.IN_DIAGNOSIS, "hold/", {"reason": "Logs"}, 17),
    "resume": ("agent_l1", Status.ON_HOLD, "resume/", {}, 15),
    "resolve": (
        "agent_l1",
        Status.IN_DIAGNOSIS,
        "resolve/",
        {"summary": "Fixed", "code": ClosureCode.FIXED},
        23,
    ),
    "close": ("requester", Status.RESOLVED, "close/", {}, 24),
    "reopen": ("requester", Status.RESOLVED, "reopen/", {"reason": "Still broken"}, 16),
    "cancel": ("agent_l1", Status.IN_DIAGNOSIS, "cancel/", {"code": ClosureCode.DUPLICATE}, 17),
}


@pytest.mark.parametrize("name", list(API_WRITES))
def test_api_write_statements_are_pinned(
    name, world, api, make_ticket, requester, agent_l1, agent_l2, category
):
    actor_name, status, suffix, body, expected = API_WRITES[name]
    actors = {"requester": requester, "agent_l1": agent_l1, "agent_l2": agent_l2}
    other_l1 = AgentFactory(username="other_l1", tier=Tier.L1)
    values = {"CATEGORY": category.pk, "AGENT_L1": agent_l1.pk, "OTHER_L1": other_l1.pk}
    body = {k: values.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    client = api(actors[actor_name])
    if name == "create":
        if world == "many":
            _extra_clocks(make_ticket(Status.IN_DIAGNOSIS), 5)
        url = "/api/tickets/"
    else:
        ticket = _ticket_in(world, make_ticket, status)
        url = f"/api/tickets/{ticket.pk}/{suffix}"
    method = client.patch if name == "update" else client.post

    count, response, sql = _count(lambda: method(url, body, format="json"))

    assert response.status_code in (200, 201), response.content
    assert count == expected, "\n".join(sql)


# The HTML forms: (actor, start status, path under the ticket or None for /new/, data, statements)
FORM_WRITES: dict[str, tuple[str, str, str | None, dict[str, Any], int]] = {
    "new request (signed in)": (
        "requester",
        "",
        None,
        {"title": "Printer", "description": "Jammed", "urgency": "medium"},
        8,
    ),
    "public form (anonymous)": (
        "",
        "",
        None,
        {
            "email": "visitor@example.org",
            "name": "A visitor",
            "title": "Printer",
            "description": "Jammed",
            "urgency": "medium",
        },
        11,
    ),
    "reply (requester)": ("requester", Status.IN_DIAGNOSIS, "reply/", {"reply-body": "More"}, 12),
    "reply (tracking link)": ("", Status.IN_DIAGNOSIS, "reply/", {"reply-body": "More"}, 9),
    "reply (agent)": ("agent_l1", Status.IN_DIAGNOSIS, "reply/", {"reply-body": "On it"}, 17),
    "attach (requester)": ("requester", Status.IN_DIAGNOSIS, "attach/", {"FILE": "attach"}, 8),
    "triage": (
        "agent_l1",
        Status.NEW,
        "do/triage/",
        {
            "triage-kind": "incident",
            "triage-category": "CATEGORY",
            "triage-impact": "medium",
            "triage-urgency": "medium",
        },
        30,
    ),
    "take": ("agent_l1", Status.PRIORITIZED, "do/take/", {}, 10),
    "start diagnosis": (
        "agent_l1",
        Status.PRIORITIZED,
        "do/start_diagnosis/",
        {"start_diagnosis-assignee": "AGENT_L1"},
        12,
    ),
    "escalate": ("agent_l1", Status.IN_DIAGNOSIS, "do/escalate/", {"escalate-reason": "Net"}, 15),
    "hold": ("agent_l1", Status.IN_DIAGNOSIS, "do/hold/", {"hold-reason": "Logs"}, 15),
    "resume": ("agent_l1", Status.ON_HOLD, "do/resume/", {}, 13),
    "resolve": (
        "agent_l1",
        Status.IN_DIAGNOSIS,
        "do/resolve/",
        {"resolve-summary": "Fixed", "resolve-code": ClosureCode.FIXED},
        21,
    ),
    "cancel": (
        "agent_l1",
        Status.IN_DIAGNOSIS,
        "do/cancel/",
        {"cancel-code": ClosureCode.DUPLICATE},
        15,
    ),
    "close (requester)": ("requester", Status.RESOLVED, "do/close/", {}, 22),
    "reopen (requester)": (
        "requester",
        Status.RESOLVED,
        "do/reopen/",
        {"reopen-reason": "Still broken"},
        14,
    ),
}


@pytest.mark.parametrize("name", list(FORM_WRITES))
def test_form_write_statements_are_pinned(
    name, world, client, make_ticket, requester, agent_l1, category
):
    actor_name, status, suffix, data, expected = FORM_WRITES[name]
    actors = {"requester": requester, "agent_l1": agent_l1}
    values = {"CATEGORY": category.pk, "AGENT_L1": agent_l1.pk}
    data = {k: values.get(v, v) if isinstance(v, str) else v for k, v in data.items()}
    if "FILE" in data:
        prefix = data.pop("FILE")
        data[f"{prefix}-attachments"] = SimpleUploadedFile("error.log", b"Traceback ...")
    if actor_name:
        client.force_login(actors[actor_name])
    if suffix is None:
        if world == "many":
            _extra_clocks(make_ticket(Status.IN_DIAGNOSIS), 5)
        url = "/new/"
    else:
        ticket = _ticket_in(world, make_ticket, status)
        base = f"/t/{ticket.tracking_token}/" if not actor_name else f"/tickets/{ticket.pk}/"
        url = base + suffix

    count, response, sql = _count(lambda: client.post(url, data))

    assert response.status_code == 302, response.content[:2000]
    assert count == expected, "\n".join(sql)
