"""The request id: one per web request or task run, carried into Celery tasks and logs.

A web request takes the id its client (or the proxy in front) sent in `X-Request-ID` when it is
a plain token of at most MAX_LENGTH characters, otherwise a fresh one; the response returns it.
Tasks published while it is bound carry it in their message headers (ops/tasks_context.py), and
outbox rows written meanwhile keep it in their context, so the email a worker later sends logs
the id of the request that caused it.
"""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

MAX_LENGTH = 128
HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# Letters, digits and the punctuation of UUIDs, trace ids and "host/pid-counter" styles; no
# spaces, quotes or control characters, so the id is safe in a header, a log line and JSON.
_VALID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=@-]*")


@dataclass
class Bound:
    """What the logs of the current request or task carry; `request` gives user and route late."""

    request_id: str
    route: str = ""
    user_id: int | None = None
    request: Any = field(default=None, repr=False)


_current: ContextVar[Bound | None] = ContextVar("helpdesk_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def valid_request_id(value: object) -> str | None:
    """`value` if it is an acceptable id (a short plain token), else None."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_LENGTH:
        return None
    return value if _VALID.fullmatch(value) else None


def current() -> Bound | None:
    return _current.get()


def current_request_id() -> str:
    bound = _current.get()
    return bound.request_id if bound is not None else ""


def push(value: Bound) -> Token[Bound | None]:
    """Bind `value` until `pop(token)` (for hooks that open and close in different calls)."""
    return _current.set(value)


def pop(token: Token[Bound | None]) -> None:
    try:
        _current.reset(token)
    except ValueError:  # set in another context (a green-thread pool): just unbind
        _current.set(None)


@contextmanager
def bound(
    request_id: str, *, route: str = "", user_id: int | None = None, request: Any = None
) -> Iterator[Bound]:
    """Bind a request id (and what else the logs show) for the duration of the block."""
    value = Bound(request_id=request_id, route=route, user_id=user_id, request=request)
    token = push(value)
    try:
        yield value
    finally:
        pop(token)


@contextmanager
def continued(request_id: object) -> Iterator[None]:
    """Work caused by an earlier request (an outbox row sent by the sweep): its logs carry that
    request's id, keeping the current route. No valid id given: nothing changes."""
    valid = valid_request_id(request_id)
    outer = _current.get()
    if valid is None or (outer is not None and outer.request_id == valid):
        yield
        return
    with bound(valid, route=outer.route if outer is not None else ""):
        yield
