"""Reading an email: pure functions, no database (tested on their own)."""

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html import unescape
from html.parser import HTMLParser

import nh3

from accounts.models import normalize_identity
from notifications.threads import message_ids_in

AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply")
BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
REPLY_PREFIX_RE = re.compile(
    r"^\s*((re|fwd?|rv|aw|wg|sv|tr|r)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
TAG_RE = re.compile(r"\[(?:INC|REQ)-\d+\]\s*", re.IGNORECASE)

# Where the quoted history starts in a reply (English and Spanish mail clients).
_QUOTE_HEADERS = [
    re.compile(r"^(on|el)\s.+(wrote|escribió)\s*:\s*$", re.IGNORECASE),
    re.compile(r"^-{2,}\s*(original message|mensaje original)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^_{10,}\s*$"),  # Outlook's rule above the quoted headers
    re.compile(r"^##-"),  # our own "reply above this line" marker
]
_TWO_LINE_QUOTE_START = re.compile(r"^(on|el)\s", re.IGNORECASE)
_TWO_LINE_QUOTE_END = re.compile(r"(wrote|escribió)\s*:\s*$", re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"^(from|de)\s*:\s", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^(sent|enviado|to|para|date|fecha|subject|asunto)\s*:", re.IGNORECASE)


class MalformedMessage(Exception):
    """The message cannot be turned into a ticket or a reply: it is moved aside."""


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedMessage:
    message_id: str
    sender_email: str
    sender_name: str
    subject: str
    body: str
    references: list[str]
    automatic_reason: str
    attachments: list[Attachment] = field(default_factory=list)


def message_key(message_id: str, raw: bytes) -> str:
    """A unique key for the message: its Message-ID, or a digest when missing or too long."""
    message_id = message_id.strip()
    if message_id and len(message_id) <= 255:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode() if message_id else raw).hexdigest()


def key_of_raw(raw: bytes) -> str:
    """The key even of a message that cannot be parsed further (for recording a failure)."""
    try:
        message = message_from_bytes(raw, policy=policy.compat32)
        return message_key(str(message.get("Message-ID", "") or ""), raw)
    except Exception:
        return message_key("", raw)


def automatic_reason(message: EmailMessage, sender_email: str) -> str:
    """Why this is an automatic message (auto-reply, bounce, list); empty if a person wrote it."""
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if message.get(header) is not None:
            return header
    if message.get_content_type() == "multipart/report":
        return "multipart/report (delivery or read report)"
    local_part = sender_email.split("@", 1)[0].lower()
    if local_part in AUTOMATIC_SENDERS:
        return f"automatic sender {sender_email}"
    return ""


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Sanitise (nh3 drops scripts, styles, handlers) and convert to plain text."""
    clean = nh3.clean(
        html,
        tags={
            "p",
            "div",
            "br",
            "li",
            "ul",
            "ol",
            "tr",
            "td",
            "blockquote",
            "pre",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "a",
            "b",
            "i",
            "strong",
            "em",
            "span",
        },
        attributes={},
    )
    extractor = _TextExtractor()
    extractor.feed(clean)
    extractor.close()
    text = unescape("".join(extractor.parts))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def trim_quoted(text: str) -> str:
    """The new part of a reply: cut at the quoted history (or our marker), drop trailing quotes."""
    lines = text.replace("\r\n", "\n").split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        stripped = line.strip()
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if any(pattern.match(stripped) for pattern in _QUOTE_HEADERS):
            cut = index
            break
        if _TWO_LINE_QUOTE_START.match(stripped) and _TWO_LINE_QUOTE_END.search(following):
            cut = index
            break
        if _OUTLOOK_FROM.match(stripped) and _OUTLOOK_NEXT.match(following):
            cut = index
            break
    kept = lines[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    trimmed = "\n".join(kept).strip()
    return trimmed or text.strip()


def clean_subject(subject: str) -> str:
    """The subject without Re:/Fwd: prefixes and our [INC-…] tag."""
    subject = " ".join(subject.split())
    previous = None
    while previous != subject:
        previous = subject
        subject = REPLY_PREFIX_RE.sub("", TAG_RE.sub("", subject)).strip()
    return subject


def _text_of(part: EmailMessage) -> str:
    """A text part's content. Mail clients send 8-bit text without a charset, or name one
    Python does not know: those bytes are read as UTF-8 if they are, else as Windows-1252 (what
    unlabelled Spanish and English 8-bit mail almost always is), so the requester's words
    still arrive instead of the whole message being moved aside. A known charset that does not
    fit its bytes keeps them, each bad byte shown as a replacement character."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return payload.decode(charset)
    except LookupError:
        pass  # an unknown charset: as unlabelled
    except UnicodeDecodeError:
        if charset not in ("us-ascii", "ascii"):
            return payload.decode(charset, errors="replace")
    return _decoded_8bit(payload)


def _decoded_8bit(data: bytes) -> str:
    """Unlabelled 8-bit text: UTF-8 if it is, else Windows-1252 (as `_text_of`)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_BETWEEN_ENCODED_WORDS = re.compile(r"(?<=\?=)\s+(?==\?)")


def _encoded_word(match: re.Match[str]) -> str:
    try:
        return str(make_header(decode_header(match.group(0))))
    except (HeaderParseError, LookupError, UnicodeDecodeError, ValueError):
        return match.group(0)


def _header(message: EmailMessage, name: str) -> str:
    """A header's text. Mail clients send 8-bit bytes in headers without encoding them
    (RFC 2047): the email package shows each such byte as a replacement character, so an
    unlabelled Windows-1252 subject "Año nuevo" became the ticket title "A�o nuevo". Those bytes
    are read as the body's are (`_decoded_8bit`), and any encoded words among them decoded."""
    raw = next((value for key, value in message.raw_items() if key.lower() == name.lower()), None)
    if not isinstance(raw, str) or not any("\udc80" <= ch <= "\udcff" for ch in raw):
        return str(message.get(name, "") or "")
    text = _decoded_8bit(raw.encode("ascii", "surrogateescape"))
    text = " ".join(text.split())  # unfolded
    return _ENCODED_WORD.sub(_encoded_word, _BETWEEN_ENCODED_WORDS.sub("", text))


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = _text_of(part)  # type: ignore[arg-type]
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    return content


def _without_nul(text: str) -> str:
    # A NUL has no meaning in mail text, and PostgreSQL's text columns refuse it: kept, it
    # would fail the whole message.
    return text.replace("\x00", "")


def _attachments(message: EmailMessage) -> list[Attachment]:
    found = []
    for part in message.iter_attachments():
        filename = part.get_filename()
        if not filename or part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        found.append(Attachment(_without_nul(filename), part.get_content_type(), payload))
    return found


def parse_message(raw: bytes) -> ParsedMessage:
    """Everything the helpdesk needs from a raw email; MalformedMessage if it cannot be read."""
    try:
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)  # noqa: S101 - policy.default guarantees it
        from_header = _without_nul(_header(message, "From"))
        sender_name, sender_email = parseaddr(from_header)
        if not sender_email:
            pairs = getaddresses([from_header])
            sender_name, sender_email = pairs[0] if pairs else ("", "")
        sender_email = normalize_identity(sender_email)
        # At most 254 characters (RFC 5321, and the accounts' limit): a longer one passed here
        # and failed creating the requester, logged as an unexpected error with its traceback.
        if len(sender_email) > 254 or not re.fullmatch(
            r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", sender_email
        ):
            raise MalformedMessage(f"no usable sender address in From: {from_header[:200]!r}")
        subject = _without_nul(_header(message, "Subject"))
        references = message_ids_in(str(message.get("In-Reply-To", "") or "")) + message_ids_in(
            str(message.get("References", "") or "")
        )
        reason = automatic_reason(message, sender_email)
        body = "" if reason else _body(message)
        attachments = [] if reason else _attachments(message)
        return ParsedMessage(
            message_id=message_key(str(message.get("Message-ID", "") or ""), raw),
            sender_email=sender_email,
            sender_name=sender_name.strip()[:150],
            subject=subject,
            body=_without_nul(trim_quoted(body)) if body else "",
            references=references,
            automatic_reason=reason,
            attachments=attachments,
        )
    except MalformedMessage:
        raise
    except Exception as exc:  # the email package raises many kinds on broken input
        raise MalformedMessage(f"{type(exc).__name__}: {exc}") from exc
