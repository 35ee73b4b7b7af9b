"""Typed text on the pages: `bdi` for a name inside a translated sentence."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def bdi(value: object) -> SafeString:
    """The value escaped inside its own bidi isolate, for a name a translated sentence holds
    ("Needing attention: {{ name }}"): a right-to-left override in it ends with the name."""
    return format_html("<bdi>{}</bdi>", value)
