"""Issue 16, item 4: percentages round half-up to one decimal, the same on the page, in the
API and in the satisfaction figures (one helper, `helpdesk.numbers`)."""

import pytest
from django.utils import translation

from csat.selectors import CsatFigures
from helpdesk.numbers import percent, round_percent
from reports.api.serializers import ComplianceSerializer, RatioSerializer
from reports.selectors import Compliance, Ratio
from reports.templatetags.reports_tags import percent as percent_filter


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (3, 11, 27.3),  # 27.27…: truncating shows 27.2
        (1, 16, 6.3),  # 6.25 exactly: half-up, not half-even
        (2, 3, 66.7),
        (1, 3, 33.3),
        (1, 8, 12.5),
        (0, 7, 0.0),
        (7, 7, 100.0),
    ],
)
def test_percent_rounds_half_up_to_one_decimal(numerator, denominator, expected):
    assert percent(numerator, denominator) == expected


def test_nothing_measured_is_none():
    assert percent(3, 0) is None
    assert round_percent(None) is None


def test_page_and_api_show_the_same_rounded_figure():
    compliance = Compliance(met=3, breached=8)
    ratio = Ratio(numerator=3, denominator=11)
    assert compliance.percent == ratio.percent == 27.3
    assert ComplianceSerializer(compliance).data["percent"] == 27.3
    assert RatioSerializer(ratio).data["percent"] == 27.3
    assert percent_filter(compliance.percent) == "27.3 %"
    # A raw value that reaches the filter is rounded the same way, never truncated.
    assert percent_filter(100 * 3 / 11) == "27.3 %"
    assert percent_filter(100 * 1 / 16) == "6.3 %"
    with translation.override("es"):
        assert percent_filter(100 * 3 / 11) == "27,3 %"


def test_satisfaction_figures_use_the_same_rounding():
    figures = CsatFigures(count=16, total=0, distribution={1: 15, 2: 0, 3: 0, 4: 1, 5: 0})
    assert figures.satisfied_percent == 6.3  # round(6.25, 1) would say 6.2


def test_a_duration_under_a_minute_is_not_zero_minutes():
    """A first response in 20 s (or an OLA clock 20 s from due on the forecast) read "0 min",
    as if nothing were measured or nothing left."""
    from reports.templatetags.reports_tags import duration

    assert duration(20) == "< 1 min"
    assert duration(0.4) == "< 1 min"
    assert duration(0) == "0 min"
    assert duration(45) == "1 min"
    assert duration(None) == "—"
