"""Mapping labels to category, impact and urgency: first matching rule per field, in order."""

import pytest

from integrations.rules import MATCHED_LENGTH, Classification, Rule, classify, pattern_error

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


@pytest.mark.parametrize(
    "pattern",
    [
        "(a+)+b",  # a repeat inside a repeat: 2**n ways to split n a's
        "(a|a)*b",  # alternatives inside a repeat, as bad
        "(a|ab)*c",
        "(?:-[a-z]+)*",
        r"(\w+\s?)*$",
        "((a)+)?(b+)+",
        "(?=(a+)+)a",  # inside a look-ahead too
        r"\d*\d*\d*x",  # three repeats in a row: n**3 steps
        ".*.*.*x",
        "a+(b|.*.*)c+",  # two in a row through the second alternative, then a third
        ".*-.*-.*x",  # a dot takes the dashes: three repeats trading characters
        "a*a*-a*a*-a*a*!",  # each pair trades: n**2 ways per pair, multiplied
        "[a-z-]+-[a-z]+-[a-z-]+-[a-z]+x",  # a class holding the dash takes it too
    ],
)
def test_a_pattern_that_could_stall_the_intake_is_refused(pattern):
    assert pattern_error(pattern) is not None


@pytest.mark.parametrize(
    "pattern",
    [
        "critical|page",
        "mail-.*",
        ".*-db-.*",
        "(api|web)-[0-9]+",
        "[a-z0-9.-]+:[0-9]+",
        "db-(eu|us)?",
        ".*-eu|.*-us|.*-ap",  # one repeat on each way through
        "x{2}(ab)?",
        "error|major|high",
        # Host names: a dash, a dot or a colon no class before it can take parts the repeats.
        "[a-z]+-[a-z]+-[0-9]+",
        r"web-[0-9]+-[a-z]+\.example\.com",
        r"[a-z]+\.[a-z]+\.[a-z]+:[0-9]+",
        "(?i)[a-z]+-[a-z]+-.*",
    ],
)
def test_the_patterns_rules_are_written_with_are_accepted(pattern):
    assert pattern_error(pattern) is None


def test_a_stored_pattern_that_could_stall_the_intake_never_matches():
    """A rule saved before the admin checked patterns, or written to the table directly: the
    intake ran it (`(a+)+` matched here; against "a" * 40 + "b" it ran for minutes)."""
    rules = [Rule(label="severity", pattern="(a+)+", impact="high")]

    result = classify(labels={"severity": "aaaa"}, rules=rules, default=DEFAULT)

    assert result.impact == "medium"


def test_a_long_value_is_matched_on_its_first_characters():
    """Two repeats in a row are n**2 steps: a 4000-character label (the most the intake
    takes) cost 16 million per rule and new alert; a value is matched on its first
    MATCHED_LENGTH characters (labels are names; what follows never decided a rule)."""
    rules = [Rule(label="instance", pattern="mail-[a-z]*", category_id=8)]
    value = "mail-" + "x" * MATCHED_LENGTH + "!"

    result = classify(labels={"instance": value}, rules=rules, default=DEFAULT)

    assert result.category_id == 8
