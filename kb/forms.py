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


class ArticleSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Any")), *Language.choices], required=False
    )


class LinkForm(forms.Form):
    related = forms.CharField(
        label=_("Related ticket"), max_length=30, help_text=_("A reference such as INC-000123.")
    )
