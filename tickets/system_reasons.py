"""The reasons the system writes on a ticket's timeline (SLA thresholds, OLA breaches), shown
in the reader's language and time zone.

The sweeps write them once, in their own language (English) with UTC times: a Spanish agent
read "First response target breached (cycle 1): it was due at 2026-12-04 10:13 UTC." among
Spanish events. A stored reason that is one of these texts is read back into its values and
written again for the reader; anything else (a person's words) is shown as stored."""

import re
from datetime import UTC, datetime
from functools import cache

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from escalation.models import Tier
from notifications.models import Notification
from ola.sweep import HANDOFF_BREACH_TEXT, TAKE_BREACH_TEXT
from sla.models import Metric
from sla.sweep import BREACH_TEXT, DUE_FORMAT, WARNING_TEXT

TEXTS = [BREACH_TEXT, WARNING_TEXT, TAKE_BREACH_TEXT, HANDOFF_BREACH_TEXT]


@cache
def _patterns() -> list[tuple[str, re.Pattern[str], dict[str, dict[str, object]]]]:
    """Each text as written in English, as a pattern of its values; and the English labels
    of the metrics and tiers it names."""
    with translation.override("en"):
        labels: dict[str, dict[str, object]] = {
            "metric": {str(Metric(value).label): Metric(value).label for value in Metric.values},
            "tier": {str(Tier(value).label): Tier(value).label for value in Tier.values},
        }
        patterns = []
        for text in TEXTS:
            english = _(text)
            pattern = re.escape(english).replace("%%", "%")
            pattern = re.sub(r"%\\\((\w+)\\\)s", r"(?P<\1>.+?)", pattern)
            patterns.append((text, re.compile(f"^{pattern}$"), labels))
    return patterns


def system_reason_display(reason: str) -> str:
    """`reason` in the active language and time zone when the system wrote it in English."""
    for text, pattern, labels in _patterns():
        match = pattern.match(reason)
        if match is None:
            continue
        values: dict[str, object] = dict(match.groupdict())
        for name in ("metric", "tier"):
            if name in values:
                if values[name] not in labels[name]:
                    return reason
                values[name] = labels[name][values[name]]  # type: ignore[index]
        due = local_due(str(values["due"]))
        if due is None:
            return reason
        values["due"] = due
        return _(text) % values
    return reason


def local_due(text: str) -> str | None:
    """A due time the sweeps wrote ("2026-12-04 10:13 UTC", DUE_FORMAT) in the active time
    zone; None if it is not one."""
    try:
        due = datetime.strptime(text, DUE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return timezone.localtime(due).strftime(DUE_FORMAT)


def system_email_context(notification: Notification) -> dict[str, str]:
    """What an SLA or OLA email (a warning, a breach, the raise to management, an escalation on
    a breach, an OLA breach) says in the sweep's words, for its recipient: the builder runs in
    the recipient's language and time zone at send time
    (notifications.services.register_context_builder). The sweeps store them in English with UTC
    times, so a Spanish agent in Madrid read "First response vencía el 2026-12-05 01:20 UTC" for
    a time that was 02:20 on their clock. A reason a person wrote (a manual raise to management)
    is left as written."""
    stored = notification.context
    context: dict[str, str] = {}
    if reason := stored.get("reason"):
        context["reason"] = system_reason_display(str(reason))
    metric = _patterns()[0][2]["metric"].get(str(stored.get("metric", "")))
    if metric is not None:
        context["metric"] = str(metric)
    if (due := local_due(str(stored.get("due_at", "")))) is not None:
        context["due_at"] = due
    return context


def system_email_sample() -> dict[str, str]:
    """The manager's email previews: a metric and a due time as the recipient reads them."""
    return {
        "metric": str(Metric.FIRST_RESPONSE.label),
        "percent": "75",
        "due_at": timezone.localtime().strftime(DUE_FORMAT),
    }
