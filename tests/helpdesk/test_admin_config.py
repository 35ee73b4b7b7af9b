"""Admin configuration that does something: a raw-id picker on a field the admin never lets
anyone edit (read-only rows, rows whose only editable fields are texts) is never shown."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from accounts.models import User

# The apps whose admins this branch keeps (the other apps' admins: their own tests).
APPS = ("tickets", "sla", "escalation", "accounts")


@pytest.mark.django_db
def test_no_admin_keeps_raw_id_fields_it_never_shows():
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    dead: dict[str, list[str]] = {}
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in APPS:
            continue
        writes = model_admin.has_add_permission(request) or model_admin.has_change_permission(
            request
        )
        readonly = set(model_admin.get_readonly_fields(request))
        unused = [name for name in model_admin.raw_id_fields if not writes or name in readonly]
        if unused:
            dead[type(model_admin).__name__] = unused
    assert dead == {}
