"""The IMAP side of inbound mail: fetch, hand each message to the service, move it away."""

import contextlib
import imaplib
import logging
import ssl
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError

from mailin.models import Outcome
from mailin.parsing import MalformedMessage
from mailin.services import DUPLICATE, inbound_process, inbound_record_failure

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str
    tls: str  # "ssl" (implicit TLS), "starttls" or "none"
    folder: str
    processed_folder: str
    failed_folder: str
    batch: int
    max_bytes: int


def imap_config() -> ImapConfig | None:
    """From settings; None (polling disabled) when no host is configured."""
    if not settings.HELPDESK_IMAP_HOST:
        return None
    return ImapConfig(
        host=settings.HELPDESK_IMAP_HOST,
        port=settings.HELPDESK_IMAP_PORT,
        user=settings.HELPDESK_IMAP_USER,
        password=settings.HELPDESK_IMAP_PASSWORD,
        tls=settings.HELPDESK_IMAP_TLS,
        folder=settings.HELPDESK_IMAP_FOLDER,
        processed_folder=settings.HELPDESK_IMAP_PROCESSED_FOLDER,
        failed_folder=settings.HELPDESK_IMAP_FAILED_FOLDER,
        batch=settings.HELPDESK_IMAP_BATCH,
        max_bytes=settings.HELPDESK_INBOUND_MAX_BYTES,
    )


@dataclass
class PollResult:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    @property
    def handled(self) -> int:
        return sum(self.counts.values())


def _connect(config: ImapConfig) -> imaplib.IMAP4:
    if config.tls == "ssl":
        return imaplib.IMAP4_SSL(
            config.host, config.port, ssl_context=ssl.create_default_context(), timeout=30
        )
    connection = imaplib.IMAP4(config.host, config.port, timeout=30)
    if config.tls == "starttls":
        connection.starttls(ssl_context=ssl.create_default_context())
    return connection


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ensure_folder(connection: imaplib.IMAP4, folder: str) -> None:
    status, _data = connection.select(_quote(folder), readonly=True)
    if status != "OK":
        connection.create(_quote(folder))


def _move(connection: imaplib.IMAP4, uid: str, folder: str) -> None:
    if "MOVE" in connection.capabilities:
        status, data = connection.uid("MOVE", uid, _quote(folder))
        if status == "OK":
            return
        raise imaplib.IMAP4.error(f"MOVE failed: {data!r}")
    status, data = connection.uid("COPY", uid, _quote(folder))
    if status != "OK":
        raise imaplib.IMAP4.error(f"COPY failed: {data!r}")
    connection.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
    if "UIDPLUS" in connection.capabilities:
        connection.uid("EXPUNGE", uid)
    else:
        connection.expunge()


def _fetch(connection: imaplib.IMAP4, uid: str) -> bytes | None:
    status, data = connection.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _size(connection: imaplib.IMAP4, uid: str) -> int:
    status, data = connection.uid("FETCH", uid, "(RFC822.SIZE)")
    if status == "OK" and data and isinstance(data[0], bytes):
        marker = b"RFC822.SIZE "
        text = data[0]
        if marker in text:
            digits = text.split(marker, 1)[1].split(b")", 1)[0].split(b" ", 1)[0]
            if digits.isdigit():
                return int(digits)
    return 0


def mailbox_poll(*, config: ImapConfig) -> PollResult:
    """Handle up to `batch` messages of the folder; each ends in the processed or failed folder.

    A message that raises is moved to the failed folder and logged, never retried. A database
    outage stops the poll and leaves the message where it is for the next run.
    """
    result = PollResult()
    connection = _connect(config)
    try:
        connection.login(config.user, config.password)
        for folder in (config.processed_folder, config.failed_folder):
            _ensure_folder(connection, folder)
        status, _data = connection.select(_quote(config.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {config.folder!r}")
        status, data = connection.uid("SEARCH", None, "ALL")  # type: ignore[arg-type]
        found = data[0].split() if status == "OK" and data and data[0] else []
        uids = [uid.decode() for uid in found[: config.batch]]
        for uid in uids:
            outcome = _handle(connection, uid, config)
            if outcome is None:
                break
            result.add(outcome)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            connection.logout()
    return result


def _handle(connection: imaplib.IMAP4, uid: str, config: ImapConfig) -> str | None:
    size = _size(connection, uid)
    if size > config.max_bytes:
        reason = f"message of {size} bytes is larger than {config.max_bytes}"
        logger.warning("inbound mail uid %s moved aside: %s", uid, reason)
        raw_headers = _fetch_headers(connection, uid)
        inbound_record_failure(raw=raw_headers, reason=reason)
        _move(connection, uid, config.failed_folder)
        return Outcome.FAILED
    raw = _fetch(connection, uid)
    if raw is None:
        return None  # gone (another poller moved it) or the server is unhappy: next run
    try:
        outcome = inbound_process(raw=raw).outcome
    except DatabaseError:
        logger.exception("database unavailable; inbound mail uid %s left for the next poll", uid)
        return None
    except MalformedMessage as exc:
        logger.warning("malformed inbound mail uid %s moved aside: %s", uid, exc)
        inbound_record_failure(raw=raw, reason=str(exc))
        outcome = Outcome.FAILED
    except Exception as exc:
        logger.exception("inbound mail uid %s could not be processed; moved aside", uid)
        inbound_record_failure(raw=raw, reason=f"{type(exc).__name__}: {exc}")
        outcome = Outcome.FAILED
    folder = config.failed_folder if outcome == Outcome.FAILED else config.processed_folder
    _move(connection, uid, folder)
    return DUPLICATE if outcome == DUPLICATE else outcome


def _fetch_headers(connection: imaplib.IMAP4, uid: str) -> bytes:
    status, data = connection.uid("FETCH", uid, "(BODY.PEEK[HEADER])")
    for item in data if status == "OK" else []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return b""
