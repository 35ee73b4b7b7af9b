"""Build raw emails for the inbound tests."""

from email.message import EmailMessage
from email.utils import make_msgid


def build(
    *,
    sender: str = "Carla Ruiz <carla@example.org>",
    subject: str = "The printer on floor 2 is jammed",
    body: str = "It shows error E-42 since this morning.",
    html: str | None = None,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.org")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)


def html_only(*, html: str, sender: str = "carla@example.org", subject: str = "HTML") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content(html, subtype="html")
    return bytes(message)


def bounce(*, to: str = "carla@example.org") -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"
        f"To: {to}\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "Message-ID: <bounce-1@mx.example.org>\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\n'
        "\n"
        "--b1\n"
        "Content-Type: text/plain\n\n"
        "The mail system could not deliver your message.\n"
        "--b1\n"
        "Content-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.org\n\n"
        "Final-Recipient: rfc822; nobody@example.org\nAction: failed\nStatus: 5.1.1\n"
        "--b1--\n"
    ).encode()
