import pytest

from tickets.models import Level, Priority
from tickets.priority import priority_from_matrix, provisional_priority

H, M, L = Level.HIGH, Level.MEDIUM, Level.LOW


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [
        (H, H, Priority.P1),
        (H, M, Priority.P2),
        (H, L, Priority.P3),
        (M, H, Priority.P2),
        (M, M, Priority.P3),
        (M, L, Priority.P4),
        (L, H, Priority.P3),
        (L, M, Priority.P4),
        (L, L, Priority.P5),
    ],
)
def test_priority_matrix_cell(impact, urgency, expected):
    assert priority_from_matrix(impact=impact, urgency=urgency) == expected


@pytest.mark.parametrize(
    ("urgency", "expected"), [(H, Priority.P3), (M, Priority.P4), (L, Priority.P5)]
)
def test_provisional_priority_is_the_requesters_urgency_with_low_impact(urgency, expected):
    assert provisional_priority(urgency=urgency) == expected


def test_unknown_level_is_refused():
    with pytest.raises(ValueError):
        priority_from_matrix(impact="huge", urgency=H)
