"""The ITIL priority matrix (impact x urgency), as a pure function."""

from tickets.models_choices import Level, Priority

_MATRIX: dict[tuple[str, str], int] = {
    (Level.HIGH, Level.HIGH): Priority.P1,
    (Level.HIGH, Level.MEDIUM): Priority.P2,
    (Level.HIGH, Level.LOW): Priority.P3,
    (Level.MEDIUM, Level.HIGH): Priority.P2,
    (Level.MEDIUM, Level.MEDIUM): Priority.P3,
    (Level.MEDIUM, Level.LOW): Priority.P4,
    (Level.LOW, Level.HIGH): Priority.P3,
    (Level.LOW, Level.MEDIUM): Priority.P4,
    (Level.LOW, Level.LOW): Priority.P5,
}


def priority_from_matrix(*, impact: str, urgency: str) -> Priority:
    return Priority(_MATRIX[(Level(impact), Level(urgency))])


def provisional_priority(*, urgency: str) -> Priority:
    """Before an agent prioritizes: the requester's urgency with impact low (DESIGN.md, SLA)."""
    return priority_from_matrix(impact=Level.LOW, urgency=urgency)
