import os
from typing import Any

from celery import Celery
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id in task headers, and JSON logs in workers (ops/tasks_context.py).
from ops.tasks_context import connect_signals  # noqa: E402 (after the app exists)

connect_signals()


class TaskSlot:
    """A task a service hands work to but may not import: its tasks module imports the service
    (no import cycle: tests/test_layers.py). The app's AppConfig.ready() plugs the task in."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._task: Any = None

    def plug(self, task: Any) -> None:
        self._task = task

    def get(self) -> Any:
        if self._task is None:
            raise ImproperlyConfigured(f"Task {self.name} not plugged in (its app's ready() does)")
        return self._task
