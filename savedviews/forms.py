from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from savedviews.models import SavedView, Visibility
from savedviews.selectors import user_share_groups


class SavedViewForm(forms.Form):
    """Save the console's current filters as a view, or rename / re-share one (no `query`)."""

    name = forms.CharField(label=_("Name"), max_length=80)
    visibility = forms.ChoiceField(
        label=_("Who sees it"), choices=Visibility.choices, initial=Visibility.PRIVATE
    )
    group: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Group"), queryset=None, required=False, empty_label=_("My only group")
    )
    # The console's address, however long (a pasted search): it is read as the console reads
    # it, which keeps 200 characters of a search (filters.console_query_shown).
    query = forms.CharField(required=False, widget=forms.HiddenInput)
    make_default = forms.BooleanField(label=_("Open it by default"), required=False)

    def __init__(
        self, *args: Any, user: User, view: SavedView | None = None, **kwargs: Any
    ) -> None:
        if view is not None:
            kwargs.setdefault(
                "initial",
                {"name": view.name, "visibility": view.visibility, "group": view.group_id},
            )
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = user_share_groups(user=user)  # type: ignore[attr-defined]
        if view is not None:  # an edit keeps the filters and the default as they are
            del self.fields["query"]
            del self.fields["make_default"]
