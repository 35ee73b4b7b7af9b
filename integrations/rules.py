r"""Mapping an alert's labels to a category, impact and urgency: pure, tested table-driven.

A rule's pattern is a regular expression run by the intake on every new alert, and Python's
`re` backtracks: `(a+)+b` against forty a's, or `\d*\d*\d*x` against a few thousand
digits, holds the intake for minutes. So a pattern is refused (`pattern_error`, the admin's
form error) when a repeat holds another repeat or alternatives, or when more than
`MAX_REPEATS_IN_A_ROW` repeats follow one another (a character the repeat before cannot take,
as the dash of `[a-z]+-[0-9]+`, parts them: host names stay writable); and a value is matched
on its first `MATCHED_LENGTH` characters (labels are names, not texts). What is left costs at most
`MATCHED_LENGTH ** MAX_REPEATS_IN_A_ROW` steps, a few milliseconds.
"""

import functools
import re
import re._compiler as sre_compile  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

MAX_REPEATS_IN_A_ROW = 2
MATCHED_LENGTH = 256
_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
_ONE_CHARACTER = frozenset({"LITERAL", "NOT_LITERAL", "IN", "ANY", "CATEGORY"})


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


class _NestedRepeat(Exception):
    pass


def pattern_error(pattern: str) -> str | None:
    """Why the intake would refuse to run this pattern, or None."""
    try:
        parsed = sre_parse.parse(pattern)
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as exc:
        return _("Not a valid regular expression: %(e)s") % {"e": exc}
    try:
        traded = _repeats_trading_characters(parsed)
    except _NestedRepeat:
        return _(
            "A repeated group may not itself repeat or hold alternatives, as in (a+)+ or "
            "(a|ab)*: one alert could hold up the intake for minutes. Repeat single "
            "characters or a class instead, e.g. [a-z0-9.-]+."
        )
    if traded + 1 > MAX_REPEATS_IN_A_ROW:
        return _(
            "At most %(count)s repeats (*, +, {m,n}) may follow one another: one alert could "
            "hold up the intake for minutes. Join them, e.g. .* instead of .*-.*."
        ) % {"count": MAX_REPEATS_IN_A_ROW}
    return None


def _repeats_trading_characters(items: Any) -> int:
    """How many repeats in `items` follow another repeat they can trade characters with: each
    multiplies the ways a failing match is tried by the value's length.

    A character the repeat before it cannot match ends that repeat where it must, so the repeats
    on either side of it never trade: `[a-z]+-[a-z]+-[0-9]+` (a host name) trades none, while
    `.*-.*-.*` (a dot takes the dash) trades two. A group or alternatives count as all the
    repeats on their longest way through, following on."""
    traded = run = 0
    last: Any = None  # the repeated part of the run's last repeat
    for op, arg in items:
        name = str(op)
        if name in _REPEATS and arg[1] > 1:
            _repeats_on_a_way(arg[2], repeated=True)  # (raises for a repeat inside a repeat)
            traded += 1 if run else 0
            run += 1
            last = arg[2]
        elif name == "LITERAL" and last is not None and not _may_match(last, arg):
            run, last = 0, None
        else:
            inner = _repeats_on_a_way([(op, arg)], repeated=False)
            if inner:
                traded += inner if run else inner - 1
                run += inner
                last = None
    return traded


def _may_match(repeated: Any, character: int) -> bool:
    """Whether this repeated part could match this character: surely not only for one
    character's test (a class, a literal, any) that refuses it."""
    if len(repeated.data) != 1 or str(repeated.data[0][0]) not in _ONE_CHARACTER:
        return True
    return sre_compile.compile(repeated).fullmatch(chr(character)) is not None


def _repeats_on_a_way(items: Iterable[tuple[Any, Any]], *, repeated: bool) -> int:
    """The most repeats (of more than one) one way through `items` meets; `_NestedRepeat` if
    one sits inside another (`repeated`), or alternatives do."""
    count = 0
    for op, arg in items:
        name = str(op)
        if name in _REPEATS and arg[1] > 1:
            if repeated:
                raise _NestedRepeat
            _repeats_on_a_way(arg[2], repeated=True)
            count += 1
        elif name == "BRANCH":
            if repeated:
                raise _NestedRepeat
            count += max(_repeats_on_a_way(branch, repeated=False) for branch in arg[1])
        else:
            count += sum(_repeats_on_a_way(inner, repeated=repeated) for inner in _inside(op, arg))
    return count


def _inside(op: Any, arg: Any) -> list[Any]:
    """The parts of a parsed pattern inside this one (a group, an optional part, a look-around)."""
    name = str(op)
    if name in _REPEATS:
        return [arg[2]]
    if name == "SUBPATTERN":
        return [arg[3]]
    if name in ("ASSERT", "ASSERT_NOT"):
        return [arg[1]]
    if name == "ATOMIC_GROUP":
        return [arg]
    if name == "GROUPREF_EXISTS":
        return [part for part in arg[1:] if part is not None]
    return []


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    """The pattern ready to run, or None for one the intake refuses (stored before the admin
    checked it, or written to the table directly): it never matches, never stalls, never fails."""
    if pattern_error(pattern) is not None:
        return None
    return re.compile(pattern)


def _matches(rule: Rule, labels: Mapping[str, str]) -> bool:
    value = labels.get(rule.label)
    if value is None:
        return False
    compiled = _compiled(rule.pattern)
    return compiled is not None and compiled.fullmatch(value[:MATCHED_LENGTH]) is not None


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
