"""The replica router's decisions, without a replica (tests/ops/test_replica.py has a real one)."""

import pytest
from django.db import transaction
from django.test import RequestFactory

from accounts.models import ApiToken, User
from ops import dbrouter
from sla.models import SlaClock
from tickets.models import Ticket

router = dbrouter.ReplicaRouter()


@pytest.fixture
def replica_up(monkeypatch):
    state = {"up": True, "asked": 0}

    def available() -> bool:
        state["asked"] += 1
        return state["up"]

    monkeypatch.setattr(dbrouter, "replica_available", available)
    return state


@pytest.fixture
def page(replica_up):
    request = RequestFactory().get("/reports/sla/")
    token = dbrouter.replica_page_start(request)
    yield request
    dbrouter._page.reset(token)


def test_outside_a_listed_page_every_read_goes_to_the_primary(replica_up):
    assert router.db_for_read(Ticket) == "default"
    assert router.db_for_read(SlaClock) == "default"  # the sweeps, in tasks
    assert replica_up["asked"] == 0


def test_a_listed_page_reads_the_replica_once_it_answers(page, replica_up):
    assert router.db_for_read(Ticket) == "replica"
    assert router.db_for_read(SlaClock) == "replica"
    assert replica_up["asked"] == 1  # decided once per page


def test_writes_always_go_to_the_primary(page):
    assert router.db_for_write(Ticket) == "default"


def test_sign_in_tokens_and_sessions_are_read_from_the_primary(page):
    assert router.db_for_read(User) == "default"
    assert router.db_for_read(ApiToken) == "default"


@pytest.mark.django_db
def test_inside_a_transaction_reads_stay_on_the_primary(page):
    with transaction.atomic():
        assert router.db_for_read(Ticket) == "default"


def test_with_the_replica_down_the_page_reads_the_primary(page, replica_up):
    replica_up["up"] = False
    assert router.db_for_read(Ticket) == "default"


def test_a_user_who_just_wrote_reads_the_primary(replica_up, settings):
    settings.HELPDESK_REPLICA_STICKY_S = 30

    class Writer:
        pk = 42
        is_authenticated = True

    request = RequestFactory().get("/reports/sla/")
    request.user = Writer()
    dbrouter.primary_sticky_mark(user_id=42)
    token = dbrouter.replica_page_start(request)
    try:
        assert router.db_for_read(Ticket) == "default"
        assert replica_up["asked"] == 0
    finally:
        dbrouter._page.reset(token)


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "tickets")
    assert not router.allow_migrate("replica", "tickets")
