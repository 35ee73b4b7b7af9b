"""HTML forms of the ticket pages: they parse input; the services decide."""

from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from escalation.models import SupportGroup, Tier
from helpdesk.errors import DomainError
from helpdesk.text import TypedTextField, shows_something
from tickets.models import Category, ClosureCode, Kind, Level, Priority, Ticket
from tickets.models_choices import (
    CANCEL_CODES,
    IMPACT_LABELS,
    MAX_LENGTH_MESSAGE,
    REASON_MAX_LENGTH,
    RESOLUTION_CODES,
    TEXT_MAX_LENGTH,
    URGENCY_LABELS,
)
from tickets.priority import priority_from_matrix
from tickets.selectors import category_tree_order
from tickets.services.attachments import attachment_validate
from tickets.services.conversation import EMPTY_REPLY_MESSAGE


class LimitedTextField(TypedTextField):
    """Free text with a length limit checked on the server: a text over it is a form error with
    the text kept. No `maxlength` attribute: browsers enforce it by silently cutting a pasted
    text (a log, a long reply) at the limit. A line break counts once (browsers send "\r\n")."""

    default_error_messages = {"max_length": MAX_LENGTH_MESSAGE}

    def __init__(self, *, limit: int, **kwargs: Any) -> None:
        super().__init__(max_length=limit, **kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


URGENCY_FOR_REQUESTER = [
    (Level.HIGH, _("High: I cannot work / many people are affected")),
    (Level.MEDIUM, _("Medium: it gets in the way, but I can work")),
    (Level.LOW, _("Low: whenever you can")),
]


class AttachmentInput(forms.ClearableFileInput):
    """A file input that says the limits before upload (size and types, from the settings) and
    takes files dropped on it (static/js/app.js enhances `[data-dropzone]`)."""

    template_name = "widgets/attachments.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        extensions = list(settings.ATTACHMENT_ALLOWED_EXTENSIONS)
        attrs = {
            **(attrs or {}),
            "accept": ",".join(f".{extension}" for extension in extensions),
            "data-max-bytes": settings.ATTACHMENT_MAX_BYTES,
        }
        context = super().get_context(name, value, attrs)
        context["widget"]["limits"] = attachment_limits()
        context["widget"]["extensions"] = " ".join(extensions)
        # The form came back with an error (in any field): a browser cannot put the chosen files
        # back in the input, and they were lost without a word (the request sent without them).
        files = value if isinstance(value, list | tuple) else [value]
        dropped = ", ".join(f.name for f in files if isinstance(f, UploadedFile) and f.name)
        if dropped:
            context["widget"]["dropped"] = _("Not sent: %(names)s. Choose the files again.") % {
                "names": dropped
            }
        return context


def attachment_limits() -> str:
    return _("Up to %(size)s per file. Types: %(types)s.") % {
        "size": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        "types": ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS),
    }


class MultipleFileInput(AttachmentInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the services (type and size)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def bound_data(self, data: Any, initial: Any) -> Any:
        # Django gives a file input its initial value back; the widget is given the files that
        # were chosen instead, to name them when the form comes back with an error.
        return data if isinstance(data, list | tuple) and data else initial

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            # "Add files" with none chosen said "Files added." and added nothing.
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        files = data if isinstance(data, list | tuple) else [data]
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        # The services check them again; checked here too so that a refused type or size is
        # named together with the form's other errors: it was named only once they were fixed,
        # after "Not sent: … Choose the files again." had asked for the same file once more.
        errors = []
        for upload in cleaned:
            try:
                attachment_validate(upload=upload)
            except DomainError as error:
                errors.append(forms.ValidationError(error.message, code="refused"))
        if errors:
            raise forms.ValidationError(errors)
        return cleaned


def category_choices() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("parent")


# Subcategories are indented under their parent (spaces that a <select> does not collapse).
TREE_INDENT = "\u00a0" * 4


def category_tree_label(category: Category) -> str:
    return f"{TREE_INDENT}{category.label}" if category.parent_id else category.label


def category_tree_choices(categories: Iterable[Category]) -> list[tuple[int, str]]:
    """(pk, label) pairs in tree order: the one way every picker lists categories."""
    return [(c.pk, category_tree_label(c)) for c in category_tree_order(categories)]


class CategoryTreeIterator(forms.models.ModelChoiceIterator):
    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        queryset = self.queryset
        if not queryset._prefetch_related_lookups:  # type: ignore[attr-defined]
            queryset = queryset.iterator()  # type: ignore[assignment]
        for obj in category_tree_order(queryset):
            yield self.choice(obj)


class CategoryChoiceField(forms.ModelChoiceField):
    """A category picker showing the tree: parents, then their subcategories indented."""

    iterator = CategoryTreeIterator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", category_choices())
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return category_tree_label(obj)


# --- filter fields: "any" or one value (the dashboard's filters, routing rules) ----------------


def kind_filter_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any kind")), *Kind.choices], required=False
    )


def priority_filter_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("Priority"),
        choices=[("", _("Any priority")), *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )


def tier_filter_field(*, label: Any = None, empty: Any = None) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label or _("Tier"),
        choices=[("", empty or _("Any tier")), *Tier.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )


class TicketCreateForm(forms.Form):
    """The requester's web form. Anonymous visitors also give their name and email."""

    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Your email"), required=False)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("In a few words, what is wrong?"),
                # Public knowledge-base articles suggested as the requester types (kb app).
                "hx-get": "/kb/suggest/",
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#kb-suggestions",
                "autocomplete": "off",
            }
        ),
    )
    description = LimitedTextField(
        limit=TEXT_MAX_LENGTH,
        label=_("Description"),
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": _(
                    "What happened, since when, what you expected, any error message…"
                ),
            }
        ),
    )
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("I don't know"),
    )
    affected = forms.CharField(
        label=_("What is affected"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. the billing app, my laptop, the whole team")}
        ),
    )
    urgency = forms.ChoiceField(
        label=_("How urgent is it for you?"),
        choices=URGENCY_FOR_REQUESTER,
        initial=Level.MEDIUM,
        widget=forms.RadioSelect,
    )
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args: Any, anonymous: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.anonymous = anonymous
        self.fields["category"].queryset = category_choices()  # type: ignore[attr-defined]
        if anonymous:
            self.fields["name"].required = True
            self.fields["email"].required = True
        else:
            del self.fields["name"]
            del self.fields["email"]

    def _shown(self, name: str) -> str:
        """A title or description of invisible characters alone (zero-width spaces, direction
        marks) filed a ticket listed as an empty line: refused as an empty one."""
        value: str = self.cleaned_data[name]
        if not shows_something(value):
            raise forms.ValidationError(self.fields[name].error_messages["required"], "required")
        return value

    def clean_title(self) -> str:
        return self._shown("title")

    def clean_description(self) -> str:
        return self._shown("description")


class ReplyForm(forms.Form):
    # Not required on its own: a reply may be only a file (a screenshot), as an email with only
    # an attachment is. Neither text nor file is the error (`clean`), with words that say so:
    # "This field is required." on the message, with a file chosen, told the user nothing.
    body = LimitedTextField(
        limit=TEXT_MAX_LENGTH,
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        strip=True,
        required=False,
    )
    is_internal = forms.BooleanField(label=_("Internal note"), required=False)
    attachments = MultipleFileField(label=_("Attachments"))
    # The ticket's version when the page was rendered (the agent's page only): a reply is held
    # back when someone else wrote since (tickets/collisions.py). Empty: no check.
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A refused file says so itself (its own error, not this one).
        empty = "body" in data and not shows_something(data["body"]) and not data.get("attachments")
        if empty and "attachments" not in self.errors:
            self.add_error("body", EMPTY_REPLY_MESSAGE)
        return data


class AttachmentForm(forms.Form):
    attachments = MultipleFileField(label=_("Files"), required=True)
    is_internal = forms.BooleanField(label=_("Internal (agents only)"), required=False)


# --- one form per transition -------------------------------------------------------------------


class TriageForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.none())
    impact = forms.ChoiceField(
        label=_("Impact"),
        choices=list(IMPACT_LABELS.items()),
        help_text=_("High: service or organisation-wide · Medium: a group · Low: one user"),
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=list(URGENCY_LABELS.items()))
    override = forms.TypedChoiceField(
        label=_("Override priority"),
        choices=[("", _("No: use the matrix")), *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    reason = LimitedTextField(
        limit=REASON_MAX_LENGTH,
        label=_("Reason for the override"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # Rendered by tickets/_priority_preview.html next to the priority it confirms.
    confirm = forms.BooleanField(
        label=_("I confirm this priority"), required=False, widget=forms.CheckboxInput
    )

    def __init__(self, *args: Any, ticket: Ticket | None = None, **kwargs: Any) -> None:
        if ticket is not None:
            # What the ticket says today: the requester's urgency, the provisional impact (low)
            # and the requester's category. Submitting it unchanged keeps the priority.
            kwargs.setdefault(
                "initial",
                {
                    "kind": ticket.kind,
                    "category": ticket.category_id,
                    "impact": ticket.impact,
                    "urgency": ticket.urgency,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = category_choices()  # type: ignore[attr-defined]

    def resulting_priority(self) -> Priority | None:
        """The priority these values give (the override, or the matrix); None if incomplete."""
        data = self.cleaned_data if self.is_bound else self.initial
        return triage_priority(
            impact=data.get("impact"), urgency=data.get("urgency"), override=data.get("override")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        priority = triage_priority(
            impact=data.get("impact"), urgency=data.get("urgency"), override=data.get("override")
        )
        # P1 pages the on-call L3 agents and P2 has a 1-hour response target: never by accident.
        if priority is not None and priority <= Priority.P2 and not data.get("confirm"):
            self.add_error(
                "confirm",
                _(
                    "%(priority)s: tick the box to confirm it. P1 goes straight to L3 and "
                    "pages the on-call agents."
                )
                % {"priority": Priority(priority).label},
            )
        data["priority"] = data.get("override")  # the service's (and the API's) name
        return data


def triage_priority(*, impact: Any, urgency: Any, override: Any = None) -> Priority | None:
    """The priority of a triage: the override when given, else impact × urgency."""
    if override not in (None, ""):
        try:
            return Priority(int(override))
        except (TypeError, ValueError):
            return None
    if impact not in Level.values or urgency not in Level.values:
        return None
    return priority_from_matrix(impact=impact, urgency=urgency)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none())

    def __init__(self, *args: Any, tier: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents_of_tier(tier)  # type: ignore[attr-defined]


def agents_of_tier(tier: int) -> QuerySet[User]:
    return (
        User.objects.filter(
            role=Role.AGENT,
            is_active=True,
            support_groups__in=SupportGroup.objects.filter(tier=tier),
        )
        .distinct()
        .order_by("display_name", "username")
    )


class ReasonForm(forms.Form):
    """Escalate (reason required), hold / resume (optional)."""

    reason = LimitedTextField(
        limit=REASON_MAX_LENGTH, label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, required: bool = True, label: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        if label is not None:
            self.fields["reason"].label = label


class ResolveForm(forms.Form):
    summary = LimitedTextField(
        limit=TEXT_MAX_LENGTH,
        label=_("Resolution summary (sent to the requester)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    code = forms.ChoiceField(
        label=_("Closure code"),
        choices=[(c.value, c.label) for c in map(ClosureCode, RESOLUTION_CODES)],
    )


class CancelForm(forms.Form):
    code = forms.ChoiceField(
        label=_("Why is it cancelled?"),
        choices=[(c.value, c.label) for c in map(ClosureCode, CANCEL_CODES)],
    )
    reason = LimitedTextField(
        limit=REASON_MAX_LENGTH,
        label=_("Note (the requester sees it)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MergeForm(forms.Form):
    into = forms.CharField(
        label=_("Merge into ticket (number, e.g. INC-000123)"),
        max_length=40,
        help_text=_(
            "This ticket is closed as its duplicate; its conversation shows on that ticket."
        ),
    )


class EmptyForm(forms.Form):
    """Take / close: nothing to ask."""

    reason = forms.CharField(required=False, widget=forms.HiddenInput)
