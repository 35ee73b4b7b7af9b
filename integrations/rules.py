"""Mapping an alert's labels to a category, impact and urgency: pure, tested table-driven."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    label: str
    pattern: str
    category_id: int | None = None
    impact: str = ""
    urgency: str = ""


@dataclass(frozen=True)
class Classification:
    category_id: int
    impact: str
    urgency: str


def _matches(rule: Rule, labels: Mapping[str, str]) -> bool:
    value = labels.get(rule.label)
    if value is None:
        return False
    try:
        return re.fullmatch(rule.pattern, value) is not None
    except re.error:
        return False  # the admin validates patterns; a bad one never matches, never fails


def classify(
    *, labels: Mapping[str, str], rules: Sequence[Rule], default: Classification
) -> Classification:
    """Each of category, impact and urgency comes from the first rule (in the given order) that
    matches the labels and sets it; what no matching rule sets comes from `default`."""
    category_id: int | None = None
    impact = urgency = ""
    for rule in rules:
        if not _matches(rule, labels):
            continue
        category_id = category_id or rule.category_id
        impact = impact or rule.impact
        urgency = urgency or rule.urgency
        if category_id and impact and urgency:
            break
    return Classification(
        category_id=category_id or default.category_id,
        impact=impact or default.impact,
        urgency=urgency or default.urgency,
    )
