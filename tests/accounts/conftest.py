from contextlib import contextmanager

import pytest

from accounts.tasks import send_account_email
from notifications.tasks import deliver_notification


@pytest.fixture
def worker(monkeypatch, django_capture_on_commit_callbacks):
    """Run what a Celery worker would after the request commits: the account-email task and the
    outbox delivery. Use as `with worker(): client.post(...)`; emails land in mail.outbox."""
    published: list[dict] = []

    def run_task(**kwargs):
        published.append(kwargs)
        return send_account_email(**kwargs)

    monkeypatch.setattr(send_account_email, "delay", run_task)
    monkeypatch.setattr(deliver_notification, "delay", deliver_notification)

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield published

    return run
