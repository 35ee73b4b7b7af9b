"""Account writes at the same moment on PostgreSQL (real threads, real transactions)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.services import AccountEmail, account_email_send, api_token_issue, api_token_touch
from notifications.models import Notification, NotificationKind
from tests.concurrency import run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.fixture(autouse=True)
def _no_broker():
    with mock.patch("notifications.tasks.deliver_notification.delay"):
        yield


def test_two_workers_signing_up_one_new_address_make_one_account():
    def sign_up(cause: str):
        return lambda: account_email_send(
            purpose=AccountEmail.SIGN_UP,
            email="ana@example.com",
            name="Ana",
            language="es",
            cause=cause,
        )

    results = run_at_once(sign_up("a"), sign_up("b"), sign_up("c"))

    assert all(isinstance(r, Notification) for r in results), results
    (user,) = User.objects.filter(email="ana@example.com")
    assert not user.has_usable_password()
    assert set(Notification.objects.values_list("kind", "recipient")) == {
        (NotificationKind.SIGN_UP, user.pk)
    }


def test_concurrent_requests_record_a_token_use_once(requester):
    token, _key = api_token_issue(user=requester, name="busy script")
    now = timezone.now() + timedelta(minutes=5)

    def touch():
        stale = ApiToken.objects.get(pk=token.pk)  # each request read the row before any wrote
        return lambda: api_token_touch(token=stale, now=now)

    results = run_at_once(*(touch() for _ in range(4)))

    assert sorted(results) == [False, False, False, True]  # type: ignore[type-var]
    assert ApiToken.objects.get(pk=token.pk).last_used_at == now
