"""Give each chat channel a name of its own, before names become unique (case-insensitive).

Channels whose name matched an older channel's whatever its case or group (two "Ops alerts" for
L1 and L2) could not be told apart where a channel is shown by its name only. The oldest
channel (lowest id) keeps its name; each later one gets its group's name appended, or its id
if that is taken too ("Ops alerts (L2 Technical)", "Ops alerts #12"). Their ids are logged
(WARNING). Irreversible in effect: going back leaves the new names in place.
"""

import logging

from django.db import migrations

logger = logging.getLogger("chat.migrations")

MAX_NAME = 120


def rename_duplicates(apps, schema_editor):
    ChatChannel = apps.get_model("chat", "ChatChannel")
    channels = list(ChatChannel.objects.select_related("support_group").order_by("pk"))
    taken = {channel.name.lower() for channel in channels}
    seen: set[str] = set()
    for channel in channels:
        key = channel.name.lower()
        if key not in seen:
            seen.add(key)
            continue
        candidates = [
            f"{channel.name} ({channel.support_group.name})"[:MAX_NAME],
            f"{channel.name[: MAX_NAME - 12]} #{channel.pk}",
        ]
        new = next((name for name in candidates if name.lower() not in taken), None)
        suffix = 2
        while new is None:
            name = f"{channel.name[: MAX_NAME - 20]} #{channel.pk}-{suffix}"
            new = name if name.lower() not in taken else None
            suffix += 1
        logger.warning(
            "chat channel %s (%r) renamed %r: its name was taken", channel.pk, channel.name, new
        )
        channel.name = new
        channel.save(update_fields=["name"])
        taken.add(new.lower())
        seen.add(new.lower())


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]

    operations = [migrations.RunPython(rename_duplicates, migrations.RunPython.noop)]
