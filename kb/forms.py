from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kb.models import Language, Visibility
from tickets.forms import CategoryChoiceField


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Article"), widget=forms.Textarea(attrs={"rows": 14}))
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)
    category = CategoryChoiceField(label=_("Category"), required=False)
    # When the editor loaded the article (its updated_at): a colleague's save since then is a
    # conflict, not silently overwritten. Blank on a new article.
    loaded_at = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["loaded_at"]

    def clean_loaded_at(self) -> datetime | None:
        text = self.cleaned_data["loaded_at"]
        if not text:
            return None
        try:
            loaded = datetime.fromisoformat(text)
        except ValueError:
            loaded = None
        if loaded is None or loaded.tzinfo is None:
            # Shown above the form: an error on a hidden field would not be.
            self.add_error(None, _("This page is out of date: open the article again."))
        return loaded


MAX_SEARCH_LENGTH = 200


class ArticleSearchForm(forms.Form):
    """The list's search. A search longer than the limit is cut to it (a pasted error message),
    not refused: a refused search listed every article, as if each one matched."""

    q = forms.CharField(label=_("Search"), required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Any")), *Language.choices], required=False
    )

    def clean_q(self) -> str:
        return str(self.cleaned_data["q"])[:MAX_SEARCH_LENGTH].strip()


class LinkForm(forms.Form):
    related = forms.CharField(
        label=_("Related ticket"), max_length=30, help_text=_("A reference such as INC-000123.")
    )
