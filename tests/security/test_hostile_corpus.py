"""A corpus of hostile values through every route of the access table, as every persona: no
answer may be a 5xx (issue 17, item 13).

Each row of `access_table.ROWS` is requested by each persona with every query parameter the code
reads (and, for writes, every field of the row and the usual form fields) set to one hostile
value; and, for a third of the personas in turn, with its path parameters replaced by another.
The values rotate over rows and personas, so every route meets several kinds and every kind
meets every route family and persona: NUL, a lone surrogate, bytes that are not UTF-8, 1 MB
strings, deeply nested JSON, dates at the ends of the calendar, huge and non-finite numbers and
forged cursors. Every request runs in a savepoint rolled back afterwards (a write that went
through changes nothing for the next), with the throttles' cache emptied.
"""

import base64
import json
import logging
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import api_token_create
from tests.security.access_table import PERSONAS, ROWS, Row

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000
MEGABYTE = "x" * 1_000_000


@dataclass(frozen=True)
class Kind:
    name: str
    text: str  # as a string (form fields, JSON strings, the path)
    query: str = ""  # percent-encoded, when the string cannot be encoded as UTF-8
    json_body: bytes | None = None  # a whole raw JSON body instead of the row's fields


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


KINDS = (
    Kind("nul", "a\x00b"),
    Kind("lone surrogate", "\ud800", query="%ED%A0%80", json_body=b'{"x": "\\ud800"}'),
    Kind("invalid utf-8", "\ufffd", query="%FF%FE%FD", json_body=b'{"x": "\xff\xfe"}'),
    Kind("1 MB string", MEGABYTE),
    Kind("deep json", DEEP, json_body=DEEP.encode()),
    Kind("date max", "9999-12-31"),
    Kind("date min", "0001-01-01"),
    Kind("datetime max", "9999-12-31T23:59:59.999999-14:00"),
    Kind("huge number", "9" * 40),
    Kind("negative", "-1"),
    Kind("non-finite", "1e999", json_body=b'{"x": 1e999, "y": NaN}'),
    Kind("forged cursor", _cursor("p=abc")),
    Kind("forged cursor 2", _cursor("p=1&r=2&o=-5")),
)

# Every query parameter the views and API read.
QUERY_NAMES = (
    "q",
    "status",
    "kind",
    "tier",
    "priority",
    "category",
    "assignee",
    "requester",
    "sla",
    "cursor",
    "page_size",
    "before",
    "show",
    "queue",
    "sort",
    "start",
    "end",
    "period",
    "figure",
    "metric",
    "group",
    "agent",
    "rating",
    "language",
    "lang",
    "at",
    "next",
    "term",
    "triage-impact",
    "triage-urgency",
    "triage-override",
)
# Form and JSON fields the writes read (besides each row's own).
FIELD_NAMES = (
    "title",
    "description",
    "body",
    "reason",
    "summary",
    "code",
    "urgency",
    "impact",
    "priority",
    "category",
    "kind",
    "email",
    "name",
    "affected",
    "assignee",
    "starts_at",
    "ends_at",
    "duration_minutes",
    "medium",
    "link_or_number",
    "tier",
    "lead",
    "position",
    "aware_at",
    "detected_at",
    "notified_at",
    "communicated_at",
    "next_update_due_at",
    "message",
    "ticket",
    "related",
    "rating",
    "comment",
    "username",
    "password",
    "routing_key",
    "event_action",
)


def _big(kind: Kind) -> bool:
    return len(kind.text) > 10_000


# A big value (1 MB, the deep brackets) goes whole into the search box and into one field of a
# write (the row's own first field, else `body`); every other name gets its first kilobyte.
BIG_QUERY_NAME = "q"


def _query(kind: Kind) -> str:
    if kind.query:
        return "&".join(f"{name}={kind.query}" for name in QUERY_NAMES)
    value = quote(kind.text, safe="")
    short = quote(kind.text[:1000], safe="")
    return "&".join(
        f"{name}={value if name == BIG_QUERY_NAME or not _big(kind) else short}"
        for name in QUERY_NAMES
    )


def _fields(row: Row, kind: Kind) -> dict[str, str]:
    names = {*FIELD_NAMES, *row.data}
    # The HTML forms carry prefixes: reply-body, hold-reason, triage-kind, …
    prefixes = ("reply", "attach", "triage", "hold", "cancel", "resolve", "reopen", "escalate")
    names |= {f"{p}-{n}" for p in prefixes for n in ("body", "reason", "summary", "code", "kind")}
    big_name = next(iter(row.data), "body")
    return {
        name: kind.text if name == big_name or not _big(kind) else kind.text[:1000]
        for name in sorted(names)
    }


def _form_body(fields: dict[str, str], kind: Kind) -> tuple[bytes, str]:
    if kind.query:  # not encodable: the raw bytes, percent-encoded
        body = "&".join(f"{quote(name)}={kind.query}" for name in fields)
    else:
        body = "&".join(f"{quote(name)}={quote(value, safe='')}" for name, value in fields.items())
    return body.encode(), "application/x-www-form-urlencoded"


def _json_body(fields: dict[str, str], kind: Kind) -> tuple[bytes, str]:
    if kind.json_body is not None:
        return kind.json_body, "application/json"
    return json.dumps(fields).encode(), "application/json"


def _with_path_values(url: str, kind: Kind) -> str:
    value = kind.query or quote(kind.text[:2000], safe="")
    out, rest = "", url
    while "{" in rest:
        head, _brace, tail = rest.partition("{")
        _name, _close, rest = tail.partition("}")
        out += head + value
    return out + rest


def _send(client, method: str, url: str, query: str, body: bytes, content_type: str):
    if method == "get":
        return client.generic("GET", url, QUERY_STRING=query)
    return client.generic("POST", url, body, content_type, QUERY_STRING=query)


def _clients(users) -> dict[str, tuple[Client, APIClient]]:
    clients = {}
    for persona in PERSONAS:
        user = users.get(persona)
        html = Client(raise_request_exception=False)
        api = APIClient(raise_request_exception=False)
        if user is not None:
            html.force_login(user)
            api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)}")
        clients[persona] = (html, api)
    return clients


def _probe(row: Row, index: int, clients, ids) -> list[str]:
    problems = []
    for number, persona in enumerate(PERSONAS):
        html, api = clients[persona]
        client = api if row.url.startswith("/api/") else html
        for attempt in (0, 1):
            # Hostile path parameters: for a third of the personas on each row, in turn.
            if attempt == 1 and ("{" not in row.url or (index + number) % 3):
                continue
            kind = KINDS[(index * 3 + number * 5 + attempt * 7) % len(KINDS)]
            fields = _fields(row, kind)
            make_body = _json_body if row.json else _form_body
            body, content_type = make_body(fields, kind) if row.method == "post" else (b"", "")
            url = row.url.format(**ids) if attempt == 0 else _with_path_values(row.url, kind)
            cache.clear()  # throttles and rate limits must not hide the handler
            with transaction.atomic():
                try:
                    response = _send(client, row.method, url, _query(kind), body, content_type)
                    code = response.status_code
                except Exception as error:  # the test client itself must not fail either
                    code, response = 599, error
                transaction.set_rollback(True)
            if code >= 500:
                problems.append(f"{row.id} as {persona} with {kind.name} ({url[:80]}): {code}")
    return problems


def test_every_kind_meets_every_persona():
    """The rotation really mixes: each persona meets every kind over the table's rows."""
    for number, _persona in enumerate(PERSONAS):
        met = {
            KINDS[(index * 3 + number * 5 + attempt * 7) % len(KINDS)].name
            for index in range(len(ROWS))
            for attempt in (0, 1)
        }
        assert met == {kind.name for kind in KINDS}


CHUNKS = 4  # one world per chunk (xdist spreads them)


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_no_route_answers_a_5xx_to_hostile_input(chunk, world):
    users, ids = world
    clients = _clients(users)
    problems = []
    # Refusals are logged as warnings (thousands here); a 5xx is still an error.
    quiet = logging.getLogger("django.request")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        for index, row in enumerate(ROWS):
            if index % CHUNKS == chunk:
                problems.extend(_probe(row, index, clients, ids))
    finally:
        quiet.setLevel(level)
    assert not problems, "\n".join(problems)
