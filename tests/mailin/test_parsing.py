"""Reading emails: quoted history, HTML, automatic messages (no database, no server)."""

import pytest

from mailin.parsing import (
    MalformedMessage,
    clean_subject,
    html_to_text,
    message_key,
    parse_message,
    trim_quoted,
)
from tests.mailin.messages import bounce, build, html_only


@pytest.mark.parametrize(
    "reply",
    [
        "Works now, thanks!\n\nOn Mon, 3 Mar 2025 at 10:00, Helpdesk <h@x.com> wrote:\n> old",
        "Works now, thanks!\n\nOn Mon, 3 Mar 2025 at 10:00, Helpdesk\n<h@x.com> wrote:\n> old",
        "Works now, thanks!\n\nEl lun, 3 mar 2025 a las 10:00, Soporte escribió:\n> viejo",
        "Works now, thanks!\n\n-----Original Message-----\nFrom: Helpdesk\nold",
        "Works now, thanks!\n\n________________________________\nFrom: Helpdesk\nSent: Monday",
        "Works now, thanks!\n\nFrom: Helpdesk <h@x.com>\nSent: Monday\nTo: me",
        "Works now, thanks!\n##- Please type your reply above this line -##\nHello Carla,",
        "Works now, thanks!\n\n> quoted only at the end\n> more",
    ],
)
def test_quoted_history_is_trimmed(reply):
    assert trim_quoted(reply) == "Works now, thanks!"


def test_a_message_that_is_only_a_quote_is_kept_whole():
    assert trim_quoted("> all quoted") == "> all quoted"


def test_html_is_sanitised_and_converted_to_text():
    text = html_to_text(
        '<div onclick="x()">Hello <b>there</b><script>alert(1)</script>'
        "<style>p{}</style></div><p>Second &amp; last</p><img src=x onerror=alert(2)>"
    )

    assert text == "Hello there\n\nSecond & last"


def test_an_html_only_message_becomes_text():
    parsed = parse_message(html_only(html="<p>VPN <i>down</i></p><p>Since 9:00</p>"))

    assert parsed.body == "VPN down\n\nSince 9:00"


def test_subject_prefixes_and_our_tag_are_removed():
    assert clean_subject("RE: Fwd: [INC-000123] VPN   down") == "VPN down"
    assert clean_subject("Rv: Re[2]: Printer") == "Printer"


@pytest.mark.parametrize(
    ("headers", "sender"),
    [
        ({"Auto-Submitted": "auto-replied"}, "carla@example.org"),
        ({"Precedence": "bulk"}, "carla@example.org"),
        ({"Precedence": "junk"}, "carla@example.org"),
        ({"Precedence": "list"}, "carla@example.org"),
        ({"X-Autoreply": "yes"}, "carla@example.org"),
        ({}, "MAILER-DAEMON@example.org"),
        ({}, "postmaster@example.org"),
    ],
)
def test_automatic_messages_are_recognised(headers, sender):
    assert parse_message(build(sender=sender, headers=headers)).automatic_reason


def test_a_person_writing_is_not_automatic():
    assert parse_message(build(headers={"Auto-Submitted": "no"})).automatic_reason == ""


def test_a_delivery_report_is_automatic():
    assert "multipart/report" in parse_message(bounce()).automatic_reason


def test_a_message_without_a_sender_address_is_malformed():
    with pytest.raises(MalformedMessage):
        parse_message(b"From: nobody\nSubject: x\n\nbody\n")


def test_message_key_is_the_message_id_or_a_digest():
    assert message_key("<a@b>", b"raw") == "<a@b>"
    assert message_key("", b"raw").startswith("sha256:")
    assert message_key("<" + "x" * 300 + ">", b"raw").startswith("sha256:")
    assert message_key("", b"raw") == message_key("", b"raw")


def _raw(*, content_type: str, body: bytes, subject: bytes = b"Printer") -> bytes:
    return (
        b"From: Carla <carla@example.org>\r\nSubject: " + subject + b"\r\n"
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body + b"\r\n"
    )


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        # A charset Python does not know: read as UTF-8 when the bytes are UTF-8 …
        ("text/plain; charset=x-unknown", "Atasco en la impresora, señor".encode(), "señor"),
        # … else as Windows-1252, what unlabelled Spanish 8-bit mail is.
        ("text/plain; charset=x-unknown", "Atasco, señor".encode("cp1252"), "Atasco, señor"),
        ("text/plain", "Atasco, señor".encode("cp1252"), "Atasco, señor"),
        ("text/html; charset=windows-1258x", "<p>Atasco, señor</p>".encode(), "Atasco, señor"),
        # A known charset keeps its reading, bad bytes replaced, as before.
        ("text/plain; charset=utf-8", b"Atasco, se\xf1or", "Atasco, se\ufffdor"),
        ("text/plain; charset=iso-8859-1", "Atasco, señor".encode("latin-1"), "Atasco, señor"),
    ],
)
def test_a_mislabelled_or_unknown_charset_still_gives_the_requesters_words(
    content_type, body, expected
):
    # An unknown charset made the whole message malformed: moved aside, no ticket, no answer.
    assert expected in parse_message(_raw(content_type=content_type, body=body)).body


def test_nul_characters_are_dropped_from_the_text_of_a_message():
    raw = (
        b"From: Car\x00la <carla@example.org>\r\nSubject: Prin\x00ter\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain\r\n\r\nJam\x00med\r\n"
        b"--XX\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="log\x00.txt"\r\n\r\nA\x00B\r\n--XX--\r\n'
    )
    parsed = parse_message(raw)
    assert (parsed.sender_name, parsed.subject, parsed.body) == ("Carla", "Printer", "Jammed")
    (attachment,) = parsed.attachments
    # The file's name loses the NUL; its content is binary and stays as sent.
    assert (attachment.filename, attachment.content) == ("log.txt", b"A\x00B")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        # Unencoded 8-bit bytes in the Subject: UTF-8 when they are …
        ("Impresora: añadir tóner".encode(), "Impresora: añadir tóner"),
        # … else Windows-1252, as the body; it showed "A\ufffdo nuevo".
        ("Año nuevo, señor".encode("cp1252"), "Año nuevo, señor"),
        # Encoded words among raw bytes are decoded too (adjacent ones joined).
        (b"A\xf1o =?utf-8?q?caf=C3=A9?= =?utf-8?q?_y_m=C3=A1s?=", "Año café y más"),
        # Folded over two lines, as long subjects are.
        ("Atasco en la\r\n impresora, señor".encode("cp1252"), "Atasco en la impresora, señor"),
        # Plain and encoded subjects read as before.
        (b"Printer", "Printer"),
        (b"=?utf-8?q?Se=C3=B1or?=", "Señor"),
    ],
)
def test_an_8bit_subject_reads_as_the_body_does(subject, expected):
    parsed = parse_message(_raw(content_type="text/plain", body=b"Jammed", subject=subject))
    assert parsed.subject == expected
    assert "\ufffd" not in parsed.subject


def test_an_8bit_sender_name_reads_as_the_body_does():
    raw = "From: José Pérez <jose@example.org>\r\nSubject: x\r\n\r\nHola\r\n".encode("cp1252")
    parsed = parse_message(raw)
    assert (parsed.sender_name, parsed.sender_email) == ("José Pérez", "jose@example.org")


@pytest.mark.parametrize(
    "sender", ["a" * 250 + "@example.org", "carla@" + "e" * 250 + ".org"], ids=["local", "domain"]
)
def test_a_sender_address_longer_than_254_characters_is_malformed(sender):
    """It was read, then creating its requester failed: the poller logged an unexpected error
    with its traceback instead of moving a malformed message aside."""
    raw = f"From: {sender}\r\nSubject: x\r\nMessage-ID: <long@x>\r\n\r\nbody\r\n".encode()
    with pytest.raises(MalformedMessage, match="no usable sender address"):
        parse_message(raw)
