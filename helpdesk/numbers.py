"""Percentages as people read them: one decimal, rounded half-up (3 of 11 is 27.3 %).

Every percentage the product shows (dashboard page, its API, satisfaction figures) goes
through `percent` (or `round_percent` for a value already computed), so the page and the API
never disagree in the last digit. Decimal arithmetic: a float such as 100 * 1 / 16 = 6.25 is
exact here, and rounds to 6.3, not to Python's round-half-even 6.2.
"""

from decimal import ROUND_HALF_UP, Decimal

ONE_DECIMAL = Decimal("0.1")


def percent(numerator: int, denominator: int) -> float | None:
    """100 × numerator / denominator to one decimal, half-up; None when nothing was measured."""
    if not denominator:
        return None
    exact = Decimal(100 * numerator) / Decimal(denominator)
    return float(exact.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP))


def round_percent(value: float | Decimal | None) -> float | None:
    """A percentage computed elsewhere, to one decimal, half-up (its shortest repr)."""
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP))
