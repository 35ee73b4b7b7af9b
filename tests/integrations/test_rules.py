"""Mapping labels to category, impact and urgency: first matching rule per field, in order."""

import pytest

from integrations.rules import Classification, Rule, classify

DEFAULT = Classification(category_id=1, impact="medium", urgency="medium")
SEVERITY = [
    Rule(label="severity", pattern="critical|page", impact="high", urgency="high"),
    Rule(label="severity", pattern="warning", impact="medium", urgency="medium"),
    Rule(label="severity", pattern="info", impact="low", urgency="low"),
]
SERVICE = [
    Rule(label="service", pattern="checkout", category_id=7, impact="high"),
    Rule(label="service", pattern="mail-.*", category_id=8),
]


@pytest.mark.parametrize(
    ("labels", "rules", "expected"),
    [
        # no rules: the integration's defaults
        ({"severity": "critical"}, [], (1, "medium", "medium")),
        # a severity rule sets impact and urgency
        ({"severity": "critical"}, SEVERITY, (1, "high", "high")),
        ({"severity": "page"}, SEVERITY, (1, "high", "high")),
        ({"severity": "warning"}, SEVERITY, (1, "medium", "medium")),
        ({"severity": "info"}, SEVERITY, (1, "low", "low")),
        # the whole value must match: "critical-ish" is not "critical"
        ({"severity": "critical-ish"}, SEVERITY, (1, "medium", "medium")),
        ({"severity": "CRITICAL"}, SEVERITY, (1, "medium", "medium")),
        # a missing label matches nothing
        ({"alertname": "Down"}, SEVERITY, (1, "medium", "medium")),
        # each field comes from the first matching rule that sets it
        ({"service": "checkout", "severity": "info"}, SERVICE + SEVERITY, (7, "high", "low")),
        (
            {"service": "mail-eu", "severity": "warning"},
            SERVICE + SEVERITY,
            (8, "medium", "medium"),
        ),
        # order matters: severity first now wins the impact
        ({"service": "checkout", "severity": "info"}, SEVERITY + SERVICE, (7, "low", "low")),
        # a broken pattern never matches and never raises
        (
            {"severity": "x"},
            [Rule(label="severity", pattern="(", impact="high")],
            (1, "medium", "medium"),
        ),
    ],
)
def test_classify(labels, rules, expected):
    result = classify(labels=labels, rules=rules, default=DEFAULT)

    assert (result.category_id, result.impact, result.urgency) == expected
