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
