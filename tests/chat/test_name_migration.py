"""Migration chat 0002: channels whose names clash (whatever the case or group) get names of
their own before the unique index is built; the oldest keeps its name."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from chat.models import ChatChannel, Platform
from escalation.models import Tier

pytestmark = pytest.mark.django_db

migration = importlib.import_module("chat.migrations.0002_rename_duplicate_channel_names")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="transactional DDL")
def test_clashing_names_are_renamed_and_the_oldest_keeps_its_own(make_channel, groups):
    first = make_channel(Platform.SLACK, tier=Tier.L1, name="Ops alerts")
    second = make_channel(Platform.TEAMS, tier=Tier.L2, name="Ops")
    third = make_channel(Platform.SLACK, tier=Tier.L3, name="Other")
    taken = make_channel(Platform.TEAMS, tier=Tier.L3, name="Ops alerts (Tier 2 team)")
    with connection.cursor() as cursor:  # as before 0003: names unique per group, by case
        cursor.execute("DROP INDEX chat_channel_unique_name")
    ChatChannel.objects.filter(pk=second.pk).update(name="OPS ALERTS")
    ChatChannel.objects.filter(pk=third.pk).update(name="ops alerts")

    migration.rename_duplicates(apps, None)

    names = dict(ChatChannel.objects.values_list("pk", "name"))
    assert names[first.pk] == "Ops alerts"
    assert names[second.pk] == f"OPS ALERTS #{second.pk}"  # its group's name was taken
    assert names[third.pk] == "ops alerts (Tier 3 team)"
    assert names[taken.pk] == "Ops alerts (Tier 2 team)"
    assert len({name.lower() for name in names.values()}) == 4
