"""`{% load idempotency %}{% idempotency_field %}` in every form that writes: a fresh key per
render, so a double click, a retry or a reload of the same render writes once."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from idempotency.services import FORM_FIELD, new_form_key

register = template.Library()


@register.simple_tag
def idempotency_field() -> SafeString:
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_FIELD, new_form_key())
