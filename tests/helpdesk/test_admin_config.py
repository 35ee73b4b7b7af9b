"""Admin configuration that does something: a raw-id picker on a field the admin never lets
anyone edit (read-only rows, rows whose only editable fields are texts) is never shown."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from accounts.models import User

# The apps whose admins this branch keeps (the other apps' admins: their own tests).
APPS = ("tickets", "sla", "escalation", "accounts")


def raw_id_fields_never_shown(apps: tuple[str, ...]) -> dict[str, list[str]]:
    """Per admin (and inline) of these apps, the raw_id_fields it lists but never shows."""
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    dead: dict[str, list[str]] = {}
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in apps:
            continue
        for each in [model_admin, *model_admin.get_inline_instances(request)]:
            inline = isinstance(each, admin.options.InlineModelAdmin)
            adds = (
                each.has_add_permission(request, None)
                if inline
                else each.has_add_permission(request)
            )
            writes = adds or each.has_change_permission(request)
            readonly = set(each.get_readonly_fields(request))
            unused = [name for name in each.raw_id_fields if not writes or name in readonly]
            if unused:
                dead[type(each).__name__] = unused
    return dead


@pytest.mark.django_db
def test_no_admin_keeps_raw_id_fields_it_never_shows():
    assert raw_id_fields_never_shown(APPS) == {}
