"""Django's own messages whose Spanish the project's catalog corrects
(helpdesk/django_messages.py)."""

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import translation

from helpdesk.django_messages import MAX_LENGTH


class NameForm(forms.Form):
    name = forms.CharField(max_length=80)


def test_a_length_limit_reads_at_most_in_spanish():
    """Django's Spanish said "menos de 80 caracteres" (fewer than) of a limit that allows 80."""
    with translation.override("es"):
        form = NameForm({"name": "x" * 81})
        assert form.errors["name"] == ["Como máximo 80 caracteres (tiene 81)."]
    with translation.override("en"):
        form = NameForm({"name": "x" * 81})
        assert form.errors["name"] == ["Ensure this value has at most 80 characters (it has 81)."]


def test_the_corrected_message_is_djangos_own():
    """If Django rewords it, the catalog's correction no longer applies: this fails first."""
    with translation.override("en"):
        for count in (1, 80):
            params = {"limit_value": count, "show_value": count + 1}
            assert MaxLengthValidator.message % params == MAX_LENGTH % params
