"""Carry DRF authtoken keys over as hashes, then delete the plain keys (the app is removed)."""

import hashlib

from django.db import migrations


def hash_legacy_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        rows = cursor.fetchall()
        for key, user_id, created in rows:
            ApiToken.objects.get_or_create(
                key_hash=hashlib.sha256(key.encode()).hexdigest(),
                defaults={"user_id": user_id, "prefix": key[:8], "created_at": created},
            )
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_api_token")]

    operations = [migrations.RunPython(hash_legacy_tokens, migrations.RunPython.noop)]
