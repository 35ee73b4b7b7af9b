"""Serializer building blocks shared by the apps' APIs."""

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.utils.formatting import lazy_format

if TYPE_CHECKING:
    _SerializerBase = serializers.Serializer
else:
    _SerializerBase = object


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


def _fresh_validator(validator: Any) -> Any:
    """The validator itself, or a copy with a message not yet formatted: DRF builds a limit's
    message (max_length, min_value…) as a lazy_format that formats once, in the language of its
    first refusal, and keeps that text, so a shared one would answer everyone after in it."""
    message = getattr(validator, "message", None)
    if not isinstance(message, lazy_format):
        return validator
    fresh = copy.copy(validator)
    fresh.message = copy.copy(message)  # the declared field's own is never formatted
    return fresh


def _shallow_copy(field: serializers.Field) -> serializers.Field:
    copied = copy.copy(field)
    if "_validators" in field.__dict__:
        copied.validators = [_fresh_validator(v) for v in field.__dict__["_validators"]]
    return copied


# Each instance gets shallow copies of the declared fields instead of DRF's deep copies.
# DRF rebuilds every declared field per serializer instance (copy.deepcopy calls the field's
# constructor again: its validators, its choices): a tenth of an API ticket create's CPU for ten
# fields. A leaf field keeps nothing per request until bind() sets its name and parent on the
# copy, so a shallow copy is as fresh as a rebuilt one, but for its limits' messages, which
# DRF formats once and keeps (each copy gets its own, _fresh_validator); the others are still
# deep-copied.
# tests/helpdesk/test_serializers.py holds both to the same validation. (A comment, not a
# docstring: drf-spectacular would describe every serializer using it with the docstring.)
class ShallowFieldCopiesMixin:
    _declared_fields: dict[str, serializers.Field]

    def get_fields(self) -> dict[str, Any]:
        return {
            name: copy.deepcopy(field) if _needs_deep_copy(field) else _shallow_copy(field)
            for name, field in self._declared_fields.items()
        }


# A key a request may carry that is no field of any serializer: the browsable API's form token.
_KEYS_ALWAYS_ALLOWED = frozenset({"csrfmiddlewaretoken"})


# A key that is no field of the serializer is refused with a 400 that names it, never ignored:
# a client that misspells `is_internal` as `internal` would otherwise publish its internal note
# to the requester. Read-only fields are fields (an object read by GET may be sent back), and
# a nested serializer checks its own keys. Every serializer of the apps' APIs has it, but for
# the ones that take other systems' payloads (tests/helpdesk/test_known_fields.py). (A comment,
# not a docstring: drf-spectacular would describe every serializer using it with the docstring.)
class KnownFieldsOnlyMixin(_SerializerBase):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = [
                key for key in data if key not in self.fields and key not in _KEYS_ALWAYS_ALLOWED
            ]
            if unknown:  # named, the first ten, each cut to 40 characters
                raise serializers.ValidationError(
                    {str(key)[:40]: [self._unknown_message(str(key))] for key in unknown[:10]}
                )
        return super().to_internal_value(data)

    def _unknown_message(self, name: str) -> str:
        writable = [field for field, value in self.fields.items() if not value.read_only]
        if not writable:
            return _("“%(name)s” is not a field of this request: it takes none.") % {
                "name": name[:40]
            }
        return _("“%(name)s” is not a field of this request: it takes %(fields)s.") % {
            "name": name[:40],
            "fields": ", ".join(writable),
        }
