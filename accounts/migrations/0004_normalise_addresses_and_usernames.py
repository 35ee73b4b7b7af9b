"""Store every user name and email normalised (NFKC + casefold), before they become unique.

Accounts whose normalised user name or email collides with an older account's (look-alikes such
as `bob@ｂeta.example` next to `bob@beta.example`, or case variants) cannot keep them: the oldest
account (lowest id) keeps the address; each later one is deactivated (no sign-in, no token, no
email), keeps its tickets and history, and is renamed `duplicate-<id>-<name>` with its email
cleared, so an administrator can merge or reassign it. Their ids are logged (WARNING).
Irreversible in effect: going back leaves the normalised values in place.
"""

import logging
import unicodedata

from django.db import migrations

logger = logging.getLogger("accounts.migrations")


def _normalise(value):
    # A frozen copy of accounts.models.normalize_identity (migrations must not import it).
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold()).strip()


def normalise(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    names, emails = set(), set()
    duplicates, renamed = [], []
    users = User.objects.order_by("pk").only("pk", "username", "email", "is_active")
    for user in users.iterator(chunk_size=2000):
        username, email = _normalise(user.username), _normalise(user.email or "")
        if username in names or (email and email in emails):
            logger.warning(
                "user %s (%r, %r) duplicates an older account once normalised: deactivated",
                user.pk,
                user.username,
                user.email,
            )
            user.username = f"duplicate-{user.pk}-{username}"[:150]
            user.email, user.is_active = "", False
            duplicates.append(user)
            continue
        names.add(username)
        if email:
            emails.add(email)
        if (username, email) != (user.username, user.email):
            user.username, user.email = username, email
            renamed.append(user)
    # Duplicates first: they free the names the older accounts take (user names are unique).
    for batch in (duplicates, renamed):
        User.objects.bulk_update(batch, ["username", "email", "is_active"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_hash_legacy_tokens")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
