"""SLA pages: the breach forecast (managers and tier leads) and its CSV. Thin: parse, select,
render."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import User
from helpdesk.csv_export import csv_query_error, csv_response
from sla.forecast import (
    CSV_HEADER,
    WINDOW_HOURS,
    ForecastScope,
    forecast,
    forecast_csv_rows,
    forecast_scope_for,
)
from sla.forms import ForecastForm, window_label


def _scope_or_403(user: User) -> ForecastScope:
    scope = forecast_scope_for(user=user)
    if scope is None:
        raise PermissionDenied(_("Only managers and tier leads can see the breach forecast."))
    return scope


@login_required
@require_GET
def forecast_page(request: HttpRequest) -> HttpResponse:
    """?hours=1|4|8|24 (default 4), ?source=sla|ola (default both), ?tier= and &cursor= for
    the next page of clocks."""
    scope = _scope_or_403(request.user)  # type: ignore[arg-type]
    form = ForecastForm(request.GET, scope=scope)
    if not form.is_valid():
        # The form with what was asked and why it is refused; no figures for a filter that
        # was not applied (as the SLA dashboard does; the API answers a 400 too).
        return render(request, "sla/forecast.html", {"form": form, "board": None}, status=400)
    board = forecast(
        hours=form.hours_or_default(),
        scope=form.chosen_scope(),
        cursor=form.cleaned_data["cursor"],
        sources=form.sources(),
    )
    return render(
        request,
        "sla/forecast.html",
        {
            "form": form,
            "board": board,
            "scope_tiers": sorted(scope.tiers) if scope.tiers is not None else None,
            "windows": [(hours, window_label(hours)) for hours in WINDOW_HOURS],
            "query": form.query(),
        },
    )


@login_required
@require_GET
def forecast_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Every clock of the window, as the page lists them (no paging)."""
    scope = _scope_or_403(request.user)  # type: ignore[arg-type]
    form = ForecastForm(request.GET, scope=scope)
    if not form.is_valid():
        return csv_query_error(form)
    now = timezone.now()
    hours = form.hours_or_default()
    return csv_response(
        filename=f"breach-forecast-{hours}h-{timezone.localtime(now):%Y%m%d%H%M}.csv",
        header=CSV_HEADER,
        rows=forecast_csv_rows(
            hours=hours, scope=form.chosen_scope(), now=now, sources=form.sources()
        ),
    )
