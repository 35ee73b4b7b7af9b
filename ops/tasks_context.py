"""Celery's side of the request id (ops/requestid.py) and of JSON logs.

- Publishing (`before_task_publish`, in the web process or in a task): the bound request id goes
  into the message headers as `request_id`.
- Running (`task_prerun` / `task_postrun`, in the worker): the id from the headers is bound for
  the task's run, so every log line of the task, and every task it publishes, carries it. A task
  published by beat has none: its own task id stands in. An eager task (tests, the embedded
  mode's fallback) keeps the id of the request it runs inside.
- With HELPDESK_LOG_FORMAT=json the worker and beat keep Django's LOGGING (one JSON object per
  line) instead of installing Celery's own handlers (`setup_logging`).
"""

import logging.config
from contextvars import Token
from typing import Any

from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

from helpdesk.env import env_str
from ops import requestid

HEADER = "request_id"

# The bindings of the tasks running in this process, by task id (prerun → postrun).
_tokens: dict[str, Token[requestid.Bound | None]] = {}


def _on_publish(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    request_id = requestid.current_request_id()
    if headers is not None and request_id and HEADER not in headers:
        headers[HEADER] = request_id


def _on_prerun(task_id: str = "", task: Any = None, **_kwargs: Any) -> None:
    outer = requestid.current()
    request_id = requestid.valid_request_id(getattr(task.request, HEADER, None))
    if request_id is None:
        request_id = outer.request_id if outer is not None else task_id
    user_id = outer.user_id if outer is not None else None
    value = requestid.Bound(request_id=request_id, route=getattr(task, "name", ""), user_id=user_id)
    _tokens[task_id] = requestid.push(value)


def _on_postrun(task_id: str = "", **_kwargs: Any) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        requestid.pop(token)


def _keep_django_logging(**_kwargs: Any) -> None:
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def connect_signals() -> None:
    """Called once per process by helpdesk/celery.py (web, worker and beat all import it)."""
    before_task_publish.connect(_on_publish, dispatch_uid="ops.request_id.publish", weak=False)
    task_prerun.connect(_on_prerun, dispatch_uid="ops.request_id.prerun", weak=False)
    task_postrun.connect(_on_postrun, dispatch_uid="ops.request_id.postrun", weak=False)
    # Read from the environment as settings.py reads it: this runs while the settings load.
    if env_str("HELPDESK_LOG_FORMAT", "text").strip().lower() == "json":
        setup_logging.connect(_keep_django_logging, dispatch_uid="ops.logging", weak=False)
