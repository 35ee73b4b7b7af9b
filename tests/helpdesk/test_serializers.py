"""ShallowFieldCopiesMixin: fields copied without their constructors, validating as DRF's do."""

from typing import Any

import pytest
from django.utils import translation
from rest_framework import serializers

from helpdesk.serializers import ShallowFieldCopiesMixin
from tests.factories import CategoryFactory
from tickets.api.serializers import TicketCreateSerializer

pytestmark = pytest.mark.django_db


class DeepCopied(serializers.Serializer):
    """TicketCreateSerializer's fields with DRF's own per-instance deep copies."""

    def get_fields(self) -> dict[str, Any]:
        return serializers.Serializer.get_fields(self)


DeepCopied._declared_fields = TicketCreateSerializer._declared_fields


class WithChildren(ShallowFieldCopiesMixin, serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=3))
    labels = serializers.CharField(default=[])  # a mutable default, as a careless one would be
    name = serializers.CharField(max_length=5)


def _outcome(serializer: serializers.Serializer) -> tuple[bool, Any]:
    valid = serializer.is_valid()
    if valid:
        return True, dict(serializer.validated_data)
    return False, {name: [str(e) for e in errors] for name, errors in serializer.errors.items()}


def test_the_ticket_create_input_validates_as_with_drf_deep_copies():
    category = CategoryFactory()
    inactive = CategoryFactory(is_active=False)
    inputs = [
        {"title": "Printer", "description": "On fire"},
        {"title": "Printer", "description": "On fire", "urgency": "high", "category": category.pk},
        {"title": "x" * 201, "description": ""},
        {"title": "Printer\x00", "description": "On fire", "urgency": "burning"},
        {"title": "Printer", "description": "On fire", "category": inactive.pk},
        {"title": "Printer", "description": "On fire", "contact_email": "not an address"},
        {"title": ["a list"], "description": {"a": "dict"}, "kind": None},
        {},
    ]
    for data in inputs:
        assert _outcome(TicketCreateSerializer(data=data)) == _outcome(DeepCopied(data=data)), data


def test_each_instance_binds_its_own_copies_and_leaves_the_declared_fields_unbound():
    first, second = TicketCreateSerializer(data={}), TicketCreateSerializer(data={})
    for name, declared in TicketCreateSerializer._declared_fields.items():
        assert first.fields[name] is not declared
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second
        assert getattr(declared, "parent", None) is None


def test_fields_with_children_and_mutable_defaults_are_still_deep_copied():
    first, second = WithChildren(data={}), WithChildren(data={})
    assert first.fields["tags"].child is not second.fields["tags"].child
    assert first.fields["tags"].child.parent is first.fields["tags"]
    assert first.fields["labels"].default is not second.fields["labels"].default
    refused = WithChildren(data={"tags": ["abcd"], "name": "abcdef"})
    assert not refused.is_valid()
    assert refused.errors == {
        "tags": {0: ["Ensure this field has no more than 3 characters."]},
        "name": ["Ensure this field has no more than 5 characters."],
    }
    assert _outcome(WithChildren(data={"tags": ["ab"], "name": "ab"}))[0] is True


def test_a_limits_message_is_in_each_requests_language_not_the_first_ones():
    # DRF formats a limit's message once and keeps it: a validator shared between requests
    # answered everyone in the language of the first refusal.
    too_long = {"title": "x" * 201, "description": "On fire", "contact_phone": "9" * 41}
    with translation.override("es"):
        spanish = TicketCreateSerializer(data=too_long)
        assert not spanish.is_valid()
    with translation.override("en"):
        english = TicketCreateSerializer(data=too_long)
        assert not english.is_valid()
    assert english.errors["title"] == ["Ensure this field has no more than 200 characters."]
    assert english.errors["contact_phone"] == ["Ensure this field has no more than 40 characters."]
    assert spanish.errors["title"] != english.errors["title"]
    assert "200" in str(spanish.errors["title"][0])
