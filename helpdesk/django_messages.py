"""Django's own messages that the project's Spanish catalog translates anew: LOCALE_PATHS is read
before Django's catalogs. Named here so that makemessages keeps them in the catalog."""

from django.utils.translation import ngettext_lazy

# Every form field's length limit (MaxLengthValidator): Django's Spanish says "menos de 80
# caracteres" (fewer than 80) of a limit that allows 80.
MAX_LENGTH = ngettext_lazy(
    "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
    "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
    "limit_value",
)
