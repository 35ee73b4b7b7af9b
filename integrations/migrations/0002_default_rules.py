"""Default mapping rules: the `severity` label (Prometheus convention, and PagerDuty's
severities) decides impact and urgency. Editable in the admin."""

from django.db import migrations

DEFAULT_RULES = [
    # position, pattern, impact, urgency  →  priority
    (10, "critical|page", "high", "high"),  # P1: routed to L3, on-call paged
    (20, "error|major|high", "high", "medium"),  # P2
    (30, "warning|minor|medium", "medium", "medium"),  # P3
    (40, "info|low|none", "low", "low"),  # P5
]


def add_rules(apps, schema_editor):
    AlertRule = apps.get_model("integrations", "AlertRule")
    for position, pattern, impact, urgency in DEFAULT_RULES:
        AlertRule.objects.get_or_create(
            integration=None,
            label="severity",
            pattern=pattern,
            defaults={"position": position, "impact": impact, "urgency": urgency},
        )


def remove_rules(apps, schema_editor):
    AlertRule = apps.get_model("integrations", "AlertRule")
    for _position, pattern, _impact, _urgency in DEFAULT_RULES:
        AlertRule.objects.filter(integration=None, label="severity", pattern=pattern).delete()


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]

    operations = [migrations.RunPython(add_rules, remove_rules)]
