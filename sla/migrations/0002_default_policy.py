"""Seed the default policy: the targets of DESIGN.md ("SLA"), 24×7, matching every ticket."""

from datetime import timedelta

from django.db import migrations

DEFAULT_NAME = "Default (24×7)"
# priority: (first response, resolution); next response = first response.
DEFAULT_TARGETS = {1: (1, 4), 2: (1, 8), 3: (2, 24), 4: (3, 48), 5: (3, 72)}


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    SlaTarget = apps.get_model("sla", "SlaTarget")
    policy, created = SlaPolicy.objects.get_or_create(
        name=DEFAULT_NAME, defaults={"position": 1000, "is_active": True}
    )
    if not created:
        return
    SlaTarget.objects.bulk_create(
        SlaTarget(
            policy=policy,
            priority=priority,
            first_response=timedelta(hours=first),
            next_response=None,
            resolution=timedelta(hours=resolution),
        )
        for priority, (first, resolution) in DEFAULT_TARGETS.items()
    )


def unseed(apps, schema_editor):
    apps.get_model("sla", "SlaPolicy").objects.filter(name=DEFAULT_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_clocks_and_policies")]

    operations = [migrations.RunPython(seed, unseed)]
