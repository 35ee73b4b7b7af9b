"""Log records with the request id, user and route, and a JSON formatter (one object per line).

`RequestContextFilter` sits on the handler, so every record, Django's, Celery's or ours, gets
`request_id`, `user_id` and `route` attributes (empty outside a request or task). The user and
route of a web request are read late, when the record is written, and only once the request has
them: the filter never loads a user or a session itself (a log call must not query the database).
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any

from django.utils.functional import LazyObject, empty

from ops import requestid


def _user_id(request: Any) -> int | None:
    user = request.__dict__.get("user") if request is not None else None
    if isinstance(user, LazyObject):
        user = user._wrapped  # type: ignore[attr-defined]
        if user is empty:  # not loaded yet: leave it so
            return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "pk", None)


def _route(request: Any) -> str:
    match = getattr(request, "resolver_match", None) if request is not None else None
    if match is None:
        return ""
    return match.view_name or match.route or ""


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        bound = requestid.current()
        if bound is None:
            record.request_id, record.user_id, record.route = "", None, ""
            return True
        record.request_id = bound.request_id
        record.user_id = bound.user_id if bound.user_id is not None else _user_id(bound.request)
        record.route = bound.route or _route(bound.request)
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, user_id, route (+ exception): one line each."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or None,
            "user_id": getattr(record, "user_id", None),
            "route": getattr(record, "route", "") or None,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: a message argument that is not JSON (a model, a path) is written as text.
        return json.dumps(entry, ensure_ascii=False, default=str)
