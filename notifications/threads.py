"""Mail threading: one stable thread id per ticket, so mail clients keep a ticket together.

Every email about a ticket refers to `<ticket-<pk>.<sig>@<domain>>` in `In-Reply-To` and
`References`; the acknowledgement to the requester *is* that message. The signature (an HMAC of
the pk) lets inbound mail trust a thread id it finds in a reply's headers: a forged header
cannot attach a message to someone else's ticket without the secret key.
"""

import re
from email.utils import parseaddr

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "helpdesk.notifications.thread"
_THREAD_RE = re.compile(r"<?ticket-(\d{1,18})\.([0-9a-f]{12})@", re.IGNORECASE)
_ANGLE_RE = re.compile(r"<[^<>\s]+>")
# Subject tags like [INC-000123] or [REQ-000042].
SUBJECT_TAG_RE = re.compile(r"\[(?:INC|REQ)-(\d{1,18})\]", re.IGNORECASE)


def mail_domain() -> str:
    configured: str = getattr(settings, "HELPDESK_MAIL_DOMAIN", "")
    if configured:
        return configured
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rsplit("@", 1)[-1] if "@" in address else "helpdesk.invalid"


def _signature(ticket_id: int) -> str:
    return salted_hmac(_SALT, str(ticket_id)).hexdigest()[:12]


def ticket_thread_id(ticket_id: int) -> str:
    return f"<ticket-{ticket_id}.{_signature(ticket_id)}@{mail_domain()}>"


def notification_message_id(*, notification_id: int | None, ticket_id: int | None) -> str:
    ticket_part = f".ticket-{ticket_id}" if ticket_id else ""
    return f"<notification-{notification_id or 0}{ticket_part}@{mail_domain()}>"


def message_ids_in(header: str) -> list[str]:
    """Every `<id>` in a Message-ID, In-Reply-To or References header, in order."""
    return _ANGLE_RE.findall(header or "")


def ticket_id_from_thread_ids(message_ids: list[str]) -> int | None:
    """The ticket a reply belongs to, from a thread id we signed; None if none is ours."""
    for message_id in message_ids:
        match = _THREAD_RE.search(message_id)
        if match and constant_time_compare(match.group(2), _signature(int(match.group(1)))):
            return int(match.group(1))
    return None


def ticket_id_from_subject(subject: str) -> int | None:
    match = SUBJECT_TAG_RE.search(subject or "")
    return int(match.group(1)) if match else None
