import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id in task headers, and JSON logs in workers (ops/tasks_context.py).
from ops.tasks_context import connect_signals  # noqa: E402 (after the app exists)

connect_signals()
