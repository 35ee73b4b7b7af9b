"""The SLA dashboard (managers), the CSV of the tickets behind a figure, and the agents'
queue health (agents: their own; managers: every agent). Thin: parse, select, render."""

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Role, User
from csat.selectors import csat_summary
from helpdesk.csv_export import csv_query_error, csv_response
from ola.selectors import ola_compliance
from reports import charts
from reports.forms import (
    DashboardExportForm,
    DashboardForm,
    Filters,
    Period,
    QueueHealthForm,
)
from reports.selectors import (
    FIGURES,
    METRICS,
    Dashboard,
    agent_attention_tickets,
    agents_for_health,
    category_options,
    column_labels,
    dashboard,
    figure_rows,
    queue_health,
    support_groups,
)
from reports.templatetags.reports_tags import percent
from sla.forecast import DEFAULT_WINDOW_HOURS, forecast_counts
from sla.models import Metric
from tickets.models import Status

CSAT_TEMPLATE = "csat/_dashboard.html"
ATTENTION_LIMIT = 50


def require_manager(user: User) -> None:
    if not (user.is_authenticated and user.is_active and user.role == Role.MANAGER):
        raise PermissionDenied(_("Only managers can see the SLA dashboard."))


def parse_dashboard_query(
    data: Any, *, with_lists: bool = True, form_class: type[DashboardForm] = DashboardForm
) -> tuple[DashboardForm, Period, Filters, Any]:
    """The form (bound when there is a query), the period, filters and categories."""
    categories = category_options() if with_lists else None
    groups = support_groups() if with_lists else None
    form = form_class(data or None, categories=categories, groups=groups)
    now = timezone.now()
    return form, form.get_period(now=now), form.get_filters(), categories


def _csat_context(*, period: Any) -> dict[str, Any]:
    """Satisfaction over the same period, by tier, category and agent (csat app)."""
    summary = csat_summary(start=period.start, end=period.end)
    return {
        "csat_template": CSAT_TEMPLATE,
        "summary": summary,
        "groups": [
            (_("Satisfaction by tier"), summary.by_tier),
            (_("Satisfaction by category"), summary.by_category),
            (_("Satisfaction by agent"), summary.by_agent),
        ],
    }


def _charts(board: Dashboard) -> dict[str, Any]:
    bucket_format = "%d/%m"
    labels = [point.start.strftime(bucket_format) for point in board.trend]
    return {
        "trend_volume": charts.line_chart(
            title=_("Tickets created and resolved"),
            labels=labels,
            series=[
                charts.Series(_("Created"), [p.created for p in board.trend]),
                charts.Series(_("Resolved"), [p.resolved for p in board.trend]),
            ],
        ),
        "trend_compliance": charts.line_chart(
            title=_("SLA compliance"),
            labels=labels,
            series=[charts.Series(_("Compliance"), [p.compliance.percent for p in board.trend])],
            maximum=100,
            unit="%",
        ),
        "trend_mttr": charts.line_chart(
            title=_("Mean time to resolve (hours)"),
            labels=labels,
            series=[
                charts.Series(
                    _("MTTR"),
                    [None if p.mttr_mean is None else p.mttr_mean / 3600 for p in board.trend],
                ),
                charts.Series(
                    _("First response"),
                    [
                        None if p.first_response_mean is None else p.first_response_mean / 3600
                        for p in board.trend
                    ],
                ),
            ],
        ),
        "by_priority": charts.bar_chart(
            title=_("SLA compliance by priority"),
            bars=[
                charts.Bar(row.label, row.total.percent, percent(row.total.percent))
                for row in board.by_priority
            ],
            maximum=100,
        ),
        "backlog": charts.bar_chart(
            title=_("Backlog by tier"),
            bars=[
                charts.Bar(
                    label, board.backlog.tier_total(tier), str(board.backlog.tier_total(tier))
                )
                for tier, label in _tier_labels().items()
            ],
        ),
        "histogram": charts.bar_chart(
            title=_("Time to resolve: how many tickets"),
            bars=[charts.Bar(b.label, b.count, str(b.count)) for b in board.histogram],
        ),
    }


def _tier_labels() -> dict[int, str]:
    from escalation.models import Tier

    return {value: str(label) for value, label in Tier.choices}


@login_required
@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    require_manager(user)
    form, period, filters, categories = parse_dashboard_query(request.GET)
    if form.is_bound and not form.is_valid():
        # The form shows what was asked and why it cannot be applied; no figures are shown
        # for a filter that was not applied (the API answers the same query with a 400).
        return render(
            request,
            "reports/dashboard.html",
            {"form": form, "board": None, "period": None},
            status=400,
        )
    board = dashboard(period=period, filters=filters, categories=categories)
    query = {"period": period.key, **filters.as_query()}
    if period.key == "custom":
        query.update(start=request.GET.get("start", ""), end=request.GET.get("end", ""))
    return render(
        request,
        "reports/dashboard.html",
        {
            "form": form,
            "board": board,
            "period": period,
            "charts": _charts(board),
            "metrics": [(m, Metric(m).label) for m in METRICS],
            "metric_labels": dict(Metric.choices),
            "query": urlencode(query),
            "tier_labels": _tier_labels(),
            "status_labels": dict(Status.choices),
            # The breach forecast's tile: every tier, whatever the filters (one indexed count).
            "forecast_hours": DEFAULT_WINDOW_HOURS,
            "forecast_count": forecast_counts(now=timezone.now(), windows=[DEFAULT_WINDOW_HOURS])[
                DEFAULT_WINDOW_HOURS
            ],
            **_csat_context(period=period),
            # Issue 22: the tiers' OLA met / breached over the same period (1 query).
            "ola_rows": ola_compliance(start=period.start, end=period.end),
        },
    )


@login_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The tickets behind a figure: ?figure=resolved&period=30d&priority=2 (&metric=…)."""
    user: User = request.user  # type: ignore[assignment]
    require_manager(user)
    figure = request.GET.get("figure", "")
    metric = request.GET.get("metric", "")
    if figure not in FIGURES:
        return HttpResponse(_("Unknown figure."), status=400, content_type="text/plain")
    if metric and metric not in Metric.values:
        return HttpResponse(_("Unknown metric."), status=400, content_type="text/plain")
    form, period, filters, _categories = parse_dashboard_query(
        request.GET, with_lists=False, form_class=DashboardExportForm
    )
    if form.is_bound and not form.is_valid():
        return csv_query_error(form)
    header, rows = figure_rows(
        figure=figure, period=period, filters=filters, now=timezone.now(), metric=metric
    )
    # The local days covered, as the page's period says (the end is exclusive: a custom range
    # to 9 March ends at midnight on the 10th, and "7d" ran in UTC).
    first = timezone.localtime(period.start)
    last = timezone.localtime(max(period.end - timedelta(microseconds=1), period.start))
    stamp = f"{first:%Y%m%d}-{last:%Y%m%d}"
    return csv_response(filename=f"{figure}-{stamp}.csv", header=column_labels(header), rows=rows)


@login_required
@require_GET
def queue_health_page(request: HttpRequest) -> HttpResponse:
    """Agents see their own queue; managers every agent's and, with ?agent=, one agent's
    tickets needing attention. Anyone else: 403."""
    user: User = request.user  # type: ignore[assignment]
    if user.role not in (Role.AGENT, Role.MANAGER):
        raise PermissionDenied(_("Only agents and managers can see queue health."))
    now = timezone.now()
    agents = agents_for_health(user=user)
    form = QueueHealthForm(request.GET or None, agents=agents)
    focus: User | None = user if user.role == Role.AGENT else None
    status = 200
    if form.is_bound and not form.is_valid():
        # The refused filter is said on the page, above every agent's queue (a stale link
        # answered a bare "page not found"); an agent number no longer listed is a 404.
        status = 404 if form.has_error("agent", code="not_listed") else 400
    elif user.role == Role.MANAGER and form.is_bound:
        focus = form.cleaned_data["agent"]
    attention = (
        list(agent_attention_tickets(agent=focus, now=now)[:ATTENTION_LIMIT]) if focus else []
    )
    return render(
        request,
        "reports/queue_health.html",
        {
            "rows": queue_health(agents=agents, now=now),
            "focus": focus,
            "attention": attention,
            "tier_labels": _tier_labels(),
            "form": form,
        },
        status=status,
    )
