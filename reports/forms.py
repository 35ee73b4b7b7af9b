"""The dashboard's period and filters, parsed from the query string (page, CSV and API)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from escalation.models import SupportGroup
from helpdesk.date_bounds import BoundedDateField
from helpdesk.query import KnownParametersForm
from tickets.forms import (
    category_tree_label,
    kind_filter_field,
    priority_filter_field,
    tier_filter_field,
)
from tickets.models import Category

PERIODS = [
    ("today", _("Today")),
    ("7d", _("Last 7 days")),
    ("30d", _("Last 30 days")),
    ("90d", _("Last 90 days")),
    ("custom", _("Custom")),
]
DEFAULT_PERIOD = "7d"
PERIOD_DAYS = {"7d": 7, "30d": 30, "90d": 90}
MAX_CUSTOM_DAYS = 366
WEEKLY_AFTER_DAYS = 31  # trends per day up to a month, per week beyond


@dataclass(frozen=True)
class Period:
    """[start, end) in aware datetimes; `bucket` is the trend's step ("day" or "week")."""

    key: str
    start: datetime
    end: datetime
    bucket: str

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    priority: int | None = None
    tier: int | None = None
    category_id: int | None = None
    group_id: int | None = None
    # The category and its subcategories when the caller has them at hand (the page's
    # category list): literal ids let PostgreSQL filter the index rows on them directly.
    category_ids: tuple[int, ...] = ()

    def as_query(self) -> dict[str, Any]:
        pairs = {
            "kind": self.kind,
            "priority": self.priority,
            "tier": self.tier,
            "category": self.category_id,
            "group": self.group_id,
        }
        return {key: value for key, value in pairs.items() if value not in ("", None)}


def period_for(
    *, key: str, start: date | None = None, end: date | None = None, now: datetime
) -> Period:
    """The period in the current time zone: "today" runs from local midnight, "7d" is the last
    7×24 hours up to now, a custom range covers whole local days from `start` to `end`."""
    tz = timezone.get_current_timezone()
    local_now = timezone.localtime(now, tz)
    if key == "today":
        begin = datetime.combine(local_now.date(), time(0), tzinfo=tz)
        return Period(key=key, start=begin, end=now, bucket="day")
    if key in PERIOD_DAYS:
        days = PERIOD_DAYS[key]
        bucket = "day" if days <= WEEKLY_AFTER_DAYS else "week"
        return Period(key=key, start=now - timedelta(days=days), end=now, bucket=bucket)
    if key == "custom" and start is not None and end is not None:
        begin = datetime.combine(start, time(0), tzinfo=tz)
        finish = min(datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz), now)
        days = (end - start).days + 1
        return Period(
            key=key,
            start=begin,
            end=max(finish, begin),
            bucket="day" if days <= WEEKLY_AFTER_DAYS else "week",
        )
    return period_for(key=DEFAULT_PERIOD, now=now)


class DashboardForm(KnownParametersForm):
    """Every field optional; an invalid value is a form error shown on the page (400 in the
    API), never a 500."""

    # `?priorty=1` showed every priority's figures as if filtered (page, CSV and API).
    passed_through = frozenset({"format"})  # DRF's
    unknown_message = _(
        "“%(name)s” is not a filter of the SLA dashboard: it takes period, start, "
        "end, kind, priority, tier, category and group."
    )

    # The box shows the period the figures cover: the default one when none was asked for.
    period = forms.ChoiceField(
        label=_("Period"), choices=PERIODS, required=False, initial=DEFAULT_PERIOD
    )
    start = BoundedDateField(label=_("From"), required=False)
    end = BoundedDateField(label=_("To"), required=False)
    kind = kind_filter_field()
    priority = priority_filter_field()
    tier = tier_filter_field()
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        empty_label=_("Any category"),
        required=False,
    )
    group = forms.ModelChoiceField(
        label=_("Group"),
        queryset=SupportGroup.objects.none(),
        empty_label=_("Any group"),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        categories: list[Category] | None = None,
        groups: list[SupportGroup] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound and not self.data.get("period"):
            # ?tier=1 alone: the figures are the default period's, and so is the box.
            data: Any = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict or a dict
            data["period"] = DEFAULT_PERIOD
            self.data = data
        category_field: Any = self.fields["category"]
        group_field: Any = self.fields["group"]
        category_field.queryset = Category.objects.select_related("parent")
        group_field.queryset = SupportGroup.objects.all()
        # The page already loaded the lists: validate against them without another query.
        if categories is not None:
            category_field.choices = [("", _("Any category"))] + [
                (c.pk, category_tree_label(c)) for c in categories
            ]
            self._categories = {c.pk: c for c in categories}
        if groups is not None:
            group_field.choices = [("", _("Any group"))] + [(g.pk, g.name) for g in groups]
            self._groups = {g.pk: g for g in groups}

    def _from_list(self, name: str, known: dict[int, Any]) -> Any:
        raw = self.data.get(name) or ""
        if not raw:
            return None
        try:
            return known[int(raw)]
        except (ValueError, KeyError):
            raise forms.ValidationError(
                _("Select a valid choice. That choice is not one of the available choices."),
                code="invalid_choice",
            ) from None

    def clean_category(self) -> Category | None:
        if hasattr(self, "_categories"):
            return self._from_list("category", self._categories)  # type: ignore[no-any-return]
        return self.cleaned_data.get("category")

    def clean_group(self) -> SupportGroup | None:
        if hasattr(self, "_groups"):
            return self._from_list("group", self._groups)  # type: ignore[no-any-return]
        return self.cleaned_data.get("group")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A date refused by its own field already says why (not "needs a start and an end").
        if (
            data.get("period") == "custom"
            and not self.has_error("start")
            and not self.has_error("end")
        ):
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                raise forms.ValidationError(_("A custom period needs a start and an end date."))
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date."))
            if start > timezone.localdate():
                # The period would be cut at now to nothing: every figure a silent zero.
                raise forms.ValidationError(_("The start date is in the future."))
            if (end - start).days >= MAX_CUSTOM_DAYS:
                raise forms.ValidationError(_("A custom period can cover at most a year."))
        return data

    def get_period(self, *, now: datetime) -> Period:
        data = self.cleaned_data if self.is_valid() else {}
        return period_for(
            key=data.get("period") or DEFAULT_PERIOD,
            start=data.get("start"),
            end=data.get("end"),
            now=now,
        )

    def get_filters(self) -> Filters:
        if not self.is_valid():
            return Filters()
        data = self.cleaned_data
        category, group = data.get("category"), data.get("group")
        family: tuple[int, ...] = ()
        if category is not None and hasattr(self, "_categories"):
            family = tuple(
                pk
                for pk, c in self._categories.items()
                if category.pk in (pk, c.parent_id)  # type: ignore[attr-defined]
            )
        return Filters(
            kind=data.get("kind") or "",
            priority=data.get("priority"),
            tier=data.get("tier"),
            category_id=category.pk if category else None,
            group_id=group.pk if group else None,
            category_ids=family,
        )


class DashboardExportForm(DashboardForm):
    """The CSV's query: the dashboard's, and which figure's tickets (checked by the view). Only
    here: the page and the API took `?figure=` and `?metric=` and silently ignored them."""

    passed_through = frozenset({"format", "figure", "metric"})
    unknown_message = _(
        "“%(name)s” is not a filter of the SLA dashboard's CSV: it takes figure, metric, "
        "period, start, end, kind, priority, tier, category and group."
    )


MAX_USER_ID = 2**31 - 1  # a larger number is no user (and no query: out of the column's range)


class QueueHealthForm(KnownParametersForm):
    """Queue health's ?agent= (a manager's link to one agent's tickets needing attention). A
    refused agent is an error on the field that says which one and why: a stale link answered
    a bare "page not found". `not_listed` (404) when the number is no listed agent's, 400 when
    it is no number."""

    unknown_message = _("“%(name)s” is not a filter of queue health: it takes agent.")

    # Any text: a refused value is named in the message (a CharField said "Null characters are
    # not allowed" or "at most 40 characters" without naming the filter).
    agent = forms.Field(required=False)

    def __init__(self, *args: Any, agents: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._agents = {agent.pk: agent for agent in agents}

    def clean_agent(self) -> User | None:
        raw = str(self.cleaned_data["agent"] or "").strip()
        if not raw:
            return None
        if not raw.isascii() or not raw.isdigit():
            raise forms.ValidationError(
                _("The agent filter “%(value)s” is not an agent's number: the link is broken."),
                code="invalid",
                params={"value": raw.replace("\x00", "")[:40]},
            )
        pk = int(raw)
        if pk in self._agents:
            return self._agents[pk]
        # Why that number is not listed (one query, on this error only).
        user = User.objects.filter(pk=pk).first() if pk <= MAX_USER_ID else None
        if user is None:
            message = _(
                "The agent filter %(value)s is refused: no user has that number (the link may "
                "be old)."
            )
        elif user.role != Role.AGENT:
            message = _(
                "The agent filter %(value)s is refused: %(name)s is not an agent, and queue "
                "health lists agents only."
            )
        elif user.is_active:
            # Every active agent is listed to a manager: the viewer is an agent.
            message = _("The agent filter %(value)s is refused: agents see their own queue only.")
        else:
            message = _(
                "The agent filter %(value)s is refused: %(name)s is deactivated and holds no "
                "open tickets."
            )
        raise forms.ValidationError(
            message,
            code="not_listed",
            params={"value": pk, "name": user.name if user else ""},
        )
