"""Reads of the satisfaction surveys: the signed-link gate and the CSAT figures."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from csat.models import RATINGS, SatisfactionSurvey
from csat.services import TOKEN_SALT
from escalation.models import Tier
from helpdesk.numbers import percent
from tickets.models import Category

LINK_MAX_AGE = 60 * 60 * 24 * 90  # a survey link works for 90 days (and only once)


def survey_from_token(*, token: str) -> SatisfactionSurvey:
    """The survey a signed link names, or 404: a forged, altered or expired token, or one whose
    ticket does not match the survey, reveals nothing."""
    try:
        survey_id, ticket_id, nonce = signing.loads(token, salt=TOKEN_SALT, max_age=LINK_MAX_AGE)
        return SatisfactionSurvey.objects.select_related("ticket").get(
            pk=int(survey_id), ticket_id=int(ticket_id), nonce=str(nonce)
        )
    except (signing.BadSignature, SatisfactionSurvey.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such survey.")) from None


def survey_for_ticket(*, ticket_id: int) -> SatisfactionSurvey | None:
    return SatisfactionSurvey.objects.filter(ticket_id=ticket_id).first()


def csat_can_read_reports(*, user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_manager)


@dataclass
class CsatFigures:
    """Answers, mean rating and how many of each rating (1–5)."""

    key: Any = None
    label: str = ""
    count: int = 0
    total: int = 0
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(RATINGS, 0))

    @property
    def average(self) -> float | None:
        return round(self.total / self.count, 2) if self.count else None

    @property
    def satisfied_percent(self) -> float | None:
        """Share of 4 and 5 ratings (the usual CSAT %)."""
        if not self.count:
            return None
        return percent(self.distribution[4] + self.distribution[5], self.count)

    def add(self, rating: int, n: int) -> None:
        self.count += n
        self.total += rating * n
        self.distribution[rating] += n


@dataclass
class CsatSummary:
    start: datetime
    end: datetime
    requested: int
    overall: CsatFigures
    by_tier: list[CsatFigures]
    by_category: list[CsatFigures]
    by_agent: list[CsatFigures]

    @property
    def response_rate(self) -> float | None:
        if not self.requested:
            return None
        return percent(self.overall.count, self.requested)


def _answered(*, start: datetime, end: datetime) -> QuerySet[SatisfactionSurvey]:
    return SatisfactionSurvey.objects.filter(answered_at__gte=start, answered_at__lt=end)


def _breakdown(*, start: datetime, end: datetime, key: str) -> dict[Any, CsatFigures]:
    rows = (
        _answered(start=start, end=end)
        .order_by()
        .values_list(key, "rating")
        .annotate(n=Count("id"))
    )
    figures: dict[Any, CsatFigures] = defaultdict(CsatFigures)
    for value, rating, n in rows:
        figures[value].key = value
        figures[value].add(rating, n)
    return figures


def csat_summary(*, start: datetime, end: datetime) -> CsatSummary:
    """CSAT over the surveys answered in [start, end): overall and by tier, category and agent
    (the tier, category and agent of the ticket when it closed). Six queries, whatever the size.
    """
    # 1 the distribution by tier, which also gives the overall figures.
    by_tier = _breakdown(start=start, end=end, key="tier")
    overall = CsatFigures(label=str(_("All")))
    for figures in by_tier.values():
        figures.label = str(Tier(figures.key).label) if figures.key in Tier.values else "?"
        for rating, n in figures.distribution.items():
            if n:
                overall.add(rating, n)
    # 2 by category, 3 the categories' names (with their parents).
    by_category = _breakdown(start=start, end=end, key="category_id")
    categories = Category.objects.select_related("parent").in_bulk(
        [key for key in by_category if key is not None]
    )
    for key, figures in by_category.items():
        figures.label = categories[key].path if key in categories else str(_("No category"))
    # 4 by agent, 5 the agents' names.
    by_agent = _breakdown(start=start, end=end, key="agent_id")
    agents = User.objects.in_bulk([key for key in by_agent if key is not None])
    for key, figures in by_agent.items():
        figures.label = agents[key].name if key in agents else str(_("Nobody"))
    # 6 how many were asked in the period (for the response rate).
    requested = SatisfactionSurvey.objects.filter(
        requested_at__gte=start, requested_at__lt=end
    ).count()

    def ordered(figures: dict[Any, CsatFigures]) -> list[CsatFigures]:
        return sorted(figures.values(), key=lambda f: (-f.count, f.label))

    return CsatSummary(
        start=start,
        end=end,
        requested=requested,
        overall=overall,
        by_tier=sorted(by_tier.values(), key=lambda f: f.key),
        by_category=ordered(by_category),
        by_agent=ordered(by_agent),
    )
