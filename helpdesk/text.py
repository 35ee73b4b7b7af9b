"""Text people type, with its line breaks as one "\\n" wherever it came from.

Browsers send a textarea's line breaks as "\\r\\n" (HTML's form submission rules); API clients
and scripts mostly send "\\n". The same text then compared unequal with what was stored: an
untouched form counted as an edit (an audit entry, a false edit conflict), and each line break
counted twice against a length limit. Forms read free text through `TypedTextField`; services
that compare what API clients send with what is stored use `newlines_normalized`."""

import unicodedata
from typing import Any

from django import forms
from django.utils.text import normalize_newlines


def shows_something(value: str) -> bool:
    """Whether the text shows anything: not only spaces and invisible format characters (zero
    width spaces and joiners, direction marks, a byte order mark), which `str.strip()` keeps.
    A title or name of those alone was accepted and listed as an empty line."""
    return any(not char.isspace() and unicodedata.category(char) != "Cf" for char in value)


def newlines_normalized(value: str) -> str:
    """'a\\r\\nb\\rc' → 'a\\nb\\nc'."""
    return str(normalize_newlines(value)) if value else value


class TypedTextField(forms.CharField):
    """Free text with its line breaks as "\\n"; the text the form was loaded with is read the
    same way, so a field left as it was is not a change."""

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return newlines_normalized(value) if isinstance(value, str) else value

    def has_changed(self, initial: Any, data: Any) -> bool:
        if isinstance(initial, str):
            initial = newlines_normalized(initial)
        return super().has_changed(initial, data)


def isolated(value: str) -> str:
    """Typed text set inside a sentence (a message naming a token, a view): between FIRST STRONG
    ISOLATE and POP DIRECTIONAL ISOLATE, so its own direction, or an override it leaves open
    (U+202E), stays inside it. Unisolated, "Token “\\u202eabc” created. Copy it now: …" showed
    the rest of the sentence reversed."""
    return f"\u2068{value}\u2069"
