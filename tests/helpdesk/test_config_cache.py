"""Configuration kept per process (helpdesk.config_cache): reloaded after a committed change,
never kept from an open or rolled-back transaction, read from the database while the shared
cache is down, and never older than MAX_AGE."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, transaction
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
