"""Configuration kept per process (helpdesk.config_cache): reloaded after a committed change,
never kept from an open or rolled-back transaction, read from the database while the shared
cache is down, never older than MAX_AGE, and the version read once per request."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext

from escalation.models import RoutingRule
from escalation.selectors import routing_rules_for_evaluation
from helpdesk import config_cache
from helpdesk.config_cache import config_cache_reset
from sla.models import SlaPolicy, SlaTarget
from sla.selectors import policy_rules

pytestmark = pytest.mark.django_db


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)


def test_the_rules_are_read_once_then_kept():
    config_cache_reset()
    assert _queries(policy_rules) == 2  # policies, their targets
    assert _queries(policy_rules) == 0
    assert _queries(routing_rules_for_evaluation) == 1
    assert _queries(routing_rules_for_evaluation) == 0


def test_a_committed_change_is_seen_by_the_next_use(django_capture_on_commit_callbacks):
    config_cache_reset()
    before = {rule.policy_id for rule in policy_rules()}
    with django_capture_on_commit_callbacks(execute=True):
        policy = SlaPolicy.objects.create(name="Gold", position=0)
        SlaTarget.objects.create(
            policy=policy,
            priority=3,
            first_response=timedelta(minutes=30),
            resolution=timedelta(hours=4),
        )
    config_cache_reset_changing_only()

    assert {rule.policy_id for rule in policy_rules()} == before | {policy.pk}


def config_cache_reset_changing_only() -> None:
    """What the end of the writer's transaction does (tests never commit)."""
    config_cache._local.changing = False


def test_the_writer_reads_its_own_change_and_keeps_nothing_until_commit():
    config_cache_reset()
    assert routing_rules_for_evaluation() == []
    RoutingRule.objects.create(name="VIP", position=1, target_tier=2)
    # The writer's transaction is open: it reads its own rows, every time.
    assert len(routing_rules_for_evaluation()) == 1
    assert _queries(routing_rules_for_evaluation) == 1


def test_a_rolled_back_change_is_not_kept():
    config_cache_reset()
    with transaction.atomic():
        sid = transaction.savepoint()
        RoutingRule.objects.create(name="VIP", position=1, target_tier=2)
        assert len(routing_rules_for_evaluation()) == 1
        transaction.savepoint_rollback(sid)
    # (the test's own transaction is still open: the rule's row is gone, nothing was kept)
    assert routing_rules_for_evaluation() == []


def test_the_database_is_read_while_the_cache_is_down():
    config_cache_reset()
    with mock.patch.object(config_cache, "config_version", return_value=None):
        assert _queries(routing_rules_for_evaluation) == 1
        assert _queries(routing_rules_for_evaluation) == 1


def test_a_value_older_than_max_age_is_reloaded(monkeypatch):
    config_cache_reset()
    routing_rules_for_evaluation()
    assert _queries(routing_rules_for_evaluation) == 0
    monkeypatch.setattr(config_cache, "MAX_AGE", 0.0)
    assert _queries(routing_rules_for_evaluation) == 1


def test_another_process_bump_reloads(settings):
    config_cache_reset()
    routing_rules_for_evaluation()
    config_cache._bump()  # what a commit in another process does to the shared version
    assert _queries(routing_rules_for_evaluation) == 1


# --- the version is read once per request -----------------------------------------------------


class _CountingCache:
    """The cache, counting the reads of the configuration version."""

    def __init__(self, cache) -> None:
        self._cache = cache
        self.version_reads = 0

    def get(self, key, *args, **kwargs):
        if key == config_cache.VERSION_KEY:
            self.version_reads += 1
        return self._cache.get(key, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._cache, name)


@pytest.fixture
def counting_cache(monkeypatch):
    from django.core.cache import cache

    config_cache.config_version()  # the version exists (its creation reads it twice)
    counting = _CountingCache(cache)
    monkeypatch.setattr(config_cache, "cache", counting)
    return counting


def _in_request(call):
    """As between Django's request_started and request_finished (whose other receivers close
    the database connection: the test client disconnects them too)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)
        try:
            return call()
        finally:
            request_finished.send(sender=None)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_outside_a_request_every_use_reads_the_version(counting_cache):
    config_cache_reset()
    first = config_cache.config_version()
    assert config_cache.config_version() == first
    assert counting_cache.version_reads == 2


def test_within_a_request_the_version_is_read_once(counting_cache):
    config_cache_reset()

    def uses():
        policy_rules()
        routing_rules_for_evaluation()
        policy_rules()
        return config_cache.config_version()

    version = _in_request(uses)
    assert version is not None
    assert counting_cache.version_reads == 1


def test_the_next_request_sees_another_process_bump(counting_cache):
    config_cache_reset()
    routing_rules_for_evaluation()

    def bumped_meanwhile():
        before = config_cache.config_version()
        config_cache._bump()  # another process commits a change during this request...
        config_cache._local.request_version = before  # (its bump is not this thread's)
        # ...this request keeps the version it started with: one snapshot of the configuration.
        assert config_cache.config_version() == before
        return before

    before = _in_request(bumped_meanwhile)
    # The next request reads the new version, and so the rules again.
    assert _in_request(config_cache.config_version) != before
    assert _in_request(lambda: _queries(routing_rules_for_evaluation)) == 1


def test_a_change_made_in_the_request_forgets_the_version_read(
    counting_cache, django_capture_on_commit_callbacks
):
    config_cache_reset()

    def change():
        before = config_cache.config_version()
        with django_capture_on_commit_callbacks(execute=True):
            RoutingRule.objects.create(name="VIP", position=1, target_tier=2)
        config_cache_reset_changing_only()
        after = config_cache.config_version()
        assert after != before
        assert len(routing_rules_for_evaluation()) == 1
        return counting_cache.version_reads

    assert _in_request(change) == 2


def test_an_api_create_reads_the_version_once(counting_cache, api, requester):
    config_cache_reset()
    client = api(requester)
    for expected in (1, 2):
        response = client.post(
            "/api/tickets/",
            {"title": "Printer", "description": "On fire.", "urgency": "high"},
            format="json",
        )
        assert response.status_code == 201
        assert counting_cache.version_reads == expected
