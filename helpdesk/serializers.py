"""Serializer building blocks shared by the apps' APIs."""

import copy
from typing import Any

from rest_framework import serializers


def _needs_deep_copy(field: serializers.Field) -> bool:
    """A field that holds per-request state beyond what bind() sets: a nested serializer, a
    field with a child bound to it (ListField, DictField, many=True relations), or a mutable
    default that the validated data would share between requests."""
    return (
        isinstance(field, serializers.BaseSerializer)
        or hasattr(field, "child")
        or hasattr(field, "child_relation")
        or isinstance(getattr(field, "default", None), list | dict | set)
    )


# Each instance gets shallow copies of the declared fields instead of DRF's deep copies.
# DRF rebuilds every declared field per serializer instance (copy.deepcopy calls the field's
# constructor again: its validators, its choices): a tenth of an API ticket create's CPU for ten
# fields. A leaf field keeps nothing per request until bind() sets its name and parent on the
# copy, so a shallow copy is as fresh as a rebuilt one; the others are still deep-copied.
# tests/helpdesk/test_serializers.py holds both to the same validation. (A comment, not a
# docstring: drf-spectacular would describe every serializer using it with the docstring.)
class ShallowFieldCopiesMixin:
    _declared_fields: dict[str, serializers.Field]

    def get_fields(self) -> dict[str, Any]:
        return {
            name: copy.deepcopy(field) if _needs_deep_copy(field) else copy.copy(field)
            for name, field in self._declared_fields.items()
        }
