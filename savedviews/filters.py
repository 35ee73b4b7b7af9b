"""The console's filters, checked strictly before a view stores them.

The console itself drops what it does not understand (an old link still opens); a saved view
must not store a filter that silently does nothing, so each value is checked against the same
choices the console's filter bar offers and the canonical query string is stored.

The console's "Save view" form sends the address the agent is looking at: it is first read as
the console reads it (`console_query_shown`), so the view lists what the agent saw — a filter
repeated in the address (`?status=open&status=new`) is its last value, as on the console; an
unknown or invalid one (`?status=bogus`, `?category=٣`) is the one the console dropped.
An API client's query is checked as it is sent (`console_query_clean`).
"""

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from helpdesk.errors import DomainError
from helpdesk.ids import parse_id
from tickets.models import Category, Status
from tickets.models_choices import Kind, Priority
from tickets.views.console_queue import SORTS, QueueParams, queue_params_from, queues_for

MAX_QUERY_LENGTH = 1000
# Where the console is, not what it shows: never stored.
IGNORED_KEYS = frozenset({"cursor", "view"})


class _IdChoiceField(forms.ModelChoiceField):
    """A choice by id in ASCII digits, as the console reads it (`int_param`): Django's lookup
    reads '٣' as 3, which the console drops, and the view would list another category."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and parse_id(value) is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class ConsoleFiltersForm(forms.Form):
    """The filter bar (templates/tickets/console.html), one field per control."""

    # Each label is the one the agent reads on the bar (its control's <label>), so a refused
    # filter is named as the agent knows it ("Assignee"), not by its address parameter.
    queue = forms.ChoiceField(required=False, label=gettext_lazy("Queue"))
    status = forms.ChoiceField(required=False, label=gettext_lazy("Status"))
    kind = forms.ChoiceField(
        required=False, choices=[("", ""), *Kind.choices], label=gettext_lazy("Kind")
    )
    priority = forms.TypedChoiceField(
        required=False,
        choices=[("", ""), *Priority.choices],
        coerce=int,
        empty_value=None,
        label=gettext_lazy("Priority"),
    )
    category = _IdChoiceField(
        required=False,
        queryset=Category.objects.filter(is_active=True),
        label=gettext_lazy("Category"),
    )
    assignee = forms.CharField(required=False, max_length=20, label=gettext_lazy("Assignee"))
    sla = forms.ChoiceField(
        required=False,
        choices=[("", ""), ("at_risk", "at_risk"), ("breached", "breached")],
        label=gettext_lazy("SLA"),
    )
    sort = forms.ChoiceField(
        required=False, choices=list(SORTS.items()), label=gettext_lazy("Sort")
    )
    q = forms.CharField(required=False, max_length=200, strip=True, label=gettext_lazy("Search"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["queue"].choices = [("", ""), *queues_for(user)]  # type: ignore[attr-defined]
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("", ""),
            ("open", "open"),
            ("all", "all"),
            *Status.choices,
        ]

    def clean_assignee(self) -> str:
        value: str = self.cleaned_data["assignee"].strip()
        if value in ("", "none") or (value == "me" and self.user.is_agent):
            return value
        agent_id = parse_id(value)
        if (
            agent_id is not None
            and User.objects.filter(pk=agent_id, role=Role.AGENT, is_active=True).exists()
        ):
            return value
        raise forms.ValidationError(
            _("Select a valid choice. That choice is not one of the available choices.")
        )

    def canonical_query(self) -> str:
        """The query string the console itself builds for these filters (`QueueParams.query`)."""
        data = self.cleaned_data
        queue = data["queue"] or next(
            (k for k, _label in queues_for(self.user) if k != "mine"), "mine"
        )
        category = data["category"]
        params = QueueParams(
            queue=queue,
            status=data["status"] or "open",
            kind=data["kind"] or "",
            priority=data["priority"],
            category=category.pk if category is not None else None,
            assignee=data["assignee"],
            sla=data["sla"] or "",
            sort=data["sort"] or "newest",
            q=data["q"],
            cursor="",
        )
        return params.query()


def console_query_clean(*, user: User, query: str) -> str:
    """The canonical form of a console query string, or a DomainError on the `query` field
    naming what is wrong (an unknown filter by its parameter; a value the filter bar does not
    offer by the bar's label for it, in the agent's language)."""
    query = (query or "").strip().lstrip("?")
    if len(query) > MAX_QUERY_LENGTH:
        raise DomainError(_("These filters are too long to save."), field="query")
    data = QueryDict(query)
    unknown = sorted(set(data) - set(ConsoleFiltersForm.base_fields) - IGNORED_KEYS)
    if unknown:
        raise DomainError(
            _("Unknown filter: %(names)s.") % {"names": ", ".join(unknown)}, field="query"
        )
    form = ConsoleFiltersForm(data, user=user)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise DomainError(
            _("Filter “%(label)s”: %(error)s")
            % {"label": form.fields[field].label, "error": errors[0]},
            field="query",
        )
    return form.canonical_query()


def console_query_shown(*, user: User, query: str) -> str:
    """The canonical query string of the list the console shows at `?<query>`: each filter
    read as the console reads it (a repeated one: its last value), what it drops dropped."""
    data = QueryDict((query or "").strip().lstrip("?"))
    return queue_params_from(data, user=user).query(cursor="")
