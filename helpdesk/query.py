"""Query parameters a page, export or API list does not take are refused, not ignored: a
misspelled filter (`?priorty=1`, `?stauts=resolved`) would answer with everything as if filtered."""

from collections.abc import Iterable
from typing import Any, ClassVar

from django import forms
from django.utils.functional import Promise


def unknown_parameters(query: Iterable[str], *, known: Iterable[str]) -> list[str]:
    """The names in `query` that are none of `known`, sorted."""
    return sorted(set(query) - set(known))


class KnownParametersForm(forms.Form):
    """A filter form bound to a query string: each parameter that is no field of the form (nor
    one of `passed_through`) is an error keyed by the parameter, `unknown_message` with its
    name. The page lists it, the API answers it as a 400 under the parameter's name."""

    passed_through: ClassVar[frozenset[str]] = frozenset({"format"})  # DRF's ?format=json
    unknown_message: ClassVar[str | Promise]  # "… %(name)s …"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in unknown_parameters(self.data, known=[*self.fields, *self.passed_through]):
            self.errors[name] = self.error_class([self.unknown_message % {"name": name[:40]}])
        return data
