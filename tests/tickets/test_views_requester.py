"""The requester's side of the web UI: the form, "my tickets", the ticket page, tracking."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role, User
from tickets import services
from tickets.models import Attachment, Comment, Status, Ticket
from tickets.models_choices import TEXT_MAX_LENGTH

pytestmark = pytest.mark.django_db


def upload(
    name: str = "screenshot.png", content: bytes = b"\x89PNG\r\n\x1a\n fake"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


# --- the web form --------------------------------------------------------------------------------


def test_signed_in_requester_submits_and_sees_the_ticket_number(client_for, requester, category):
    response = client_for(requester).post(
        "/new/",
        {
            "title": "Printer jams",
            "description": "Every page since Monday.",
            "category": category.pk,
            "affected": "2nd floor printer",
            "urgency": "high",
            "attachments": [upload()],
        },
        follow=True,
    )

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert response.redirect_chain == [(f"/tickets/{ticket.pk}/created/", 302)]  # PRG
    assert ticket.requester == requester
    assert (ticket.title, ticket.affected, ticket.urgency) == (
        "Printer jams",
        "2nd floor printer",
        "high",
    )
    assert ticket.category == category
    assert ticket.attachments.get().filename == "screenshot.png"
    assert ticket.reference in response.content.decode()
    assert f"/tickets/{ticket.pk}/" in response.content.decode()


def test_anonymous_submission_creates_the_requester_and_gives_the_tracking_link(client_for):
    response = client_for(None).post(
        "/new/",
        {
            "name": "Ana Anon",
            "email": "Ana@Example.com",
            "title": "Cannot log in",
            "description": "Password rejected.",
            "urgency": "medium",
        },
        follow=True,
    )

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert response.redirect_chain == [(f"/t/{ticket.tracking_token}/created/", 302)]  # PRG
    assert ticket.requester.email == "ana@example.com"
    assert ticket.requester.role == Role.REQUESTER
    assert not ticket.requester.has_usable_password()
    body = response.content.decode()
    assert ticket.reference in body
    assert f"/t/{ticket.tracking_token}/" in body


def test_anonymous_submission_needs_an_email_and_keeps_what_was_typed(client_for):
    response = client_for(None).post(
        "/new/",
        {
            "name": "Ana",
            "email": "",
            "title": "Cannot log in",
            "description": "x",
            "urgency": "low",
        },
    )

    assert response.status_code == 400
    assert Ticket.objects.count() == 0
    assert User.objects.count() == 0
    form = response.context["form"]
    assert "email" in form.errors
    assert 'value="Cannot log in"' in response.content.decode()


def test_a_request_sent_after_signing_out_in_another_tab_comes_back_after_signing_in(
    client, requester, category
):
    """The requester wrote a request signed in, and was signed out meanwhile (another tab, a
    timeout). Send answered "Your name: This field is required." on a guest form, whose "Sign
    in" link lost the text. Now: the login page says why, and the form comes back filled."""
    typed = {
        "title": "Printer jams",
        "description": "Every page since Monday.",
        "category": category.pk,
        "affected": "2nd floor printer",
        "urgency": "high",
    }
    response = client.post("/new/", typed, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=/new/"
    assert "your request was not sent" in response.content.decode()
    assert Ticket.objects.count() == 0

    client.force_login(requester)  # Django's login keeps the anonymous session's data
    response = client.get("/new/")
    assert response.context["form"].initial == {**typed, "category": str(category.pk)}
    assert "Every page since Monday.</textarea>" in response.content.decode()
    assert "Your request was not sent yet" in response.content.decode()
    assert client.get("/new/").context["form"].initial == {}  # once


def test_files_chosen_with_a_mistake_elsewhere_are_named_to_choose_again(client_for):
    # A typo in the email sent the form back; the browser cannot refill a file input, so the
    # chosen file was gone without a word and the corrected request went without it.
    response = client_for(None).post(
        "/new/",
        {
            "name": "Ana",
            "email": "ana-at-example.com",
            "title": "Printer jams",
            "description": "Photo attached.",
            "urgency": "low",
            "attachments": [upload("jam.png"), upload("tray.png")],
        },
        HTTP_ACCEPT_LANGUAGE="es",
    )

    assert response.status_code == 400
    assert Ticket.objects.count() == 0
    body = response.content.decode()
    assert 'data-testid="files-not-sent"' in body
    assert "No se enviaron: jam.png, tray.png. Vuelva a elegir los archivos." in body


def test_a_reply_sent_back_names_its_files_to_choose_again(client_for, requester, make_ticket):
    ticket = make_ticket()
    too_long = "x" * (TEXT_MAX_LENGTH + 1)  # sent back for the text, with a file chosen
    response = client_for(requester).post(
        f"/tickets/{ticket.pk}/reply/",
        {"reply-body": too_long, "reply-attachments": [upload("a.log")]},
    )

    assert response.status_code == 400
    assert "Not sent: a.log. Choose the files again." in response.content.decode()
    assert not Attachment.objects.exists()
    # A form sent back with no file chosen says nothing about files.
    empty = client_for(requester).post(f"/tickets/{ticket.pk}/reply/", {"reply-body": ""})
    assert 'data-testid="files-not-sent"' not in empty.content.decode()


def test_a_refused_file_type_is_a_form_error_and_nothing_is_saved(client_for, requester):
    response = client_for(requester).post(
        "/new/",
        {
            "title": "Broken",
            "description": "Details",
            "urgency": "low",
            "attachments": [upload("virus.exe")],
        },
    )

    assert response.status_code == 400
    assert "attachments" in response.context["form"].errors
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_a_refused_file_is_named_with_the_forms_other_errors(client, category):
    # A guest with a typo in the address and an .exe: the page said only "Not sent: virus.exe.
    # Choose the files again.", so they chose the same file again and learnt on the next try
    # that its type is refused.
    response = client.post(
        "/new/",
        {
            "name": "Guest",
            "email": "guest@",
            "title": "Broken",
            "description": "Details",
            "urgency": "low",
            "attachments": [upload("virus.exe"), upload("ok.png")],
        },
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "email" in errors
    assert errors["attachments"] == [
        "Files of type “exe” are not accepted. Allowed: png, jpg, jpeg, gif, pdf, txt, log, "
        "csv, json, zip, docx, xlsx."
    ]
    assert Ticket.objects.count() == 0


def test_a_reply_names_a_refused_file_with_an_empty_message(client_for, requester, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = client_for(requester).post(
        f"/tickets/{ticket.pk}/reply/",
        {"reply-body": "", "reply-attachments": [upload("notes.docm")]},
    )
    assert "Files of type “docm” are not accepted." in str(
        response.context["reply_form"].errors["attachments"]
    )


def test_missing_title_is_a_form_error(client_for, requester):
    response = client_for(requester).post(
        "/new/", {"title": "", "description": "Details", "urgency": "low"}
    )

    assert response.status_code == 400
    assert "title" in response.context["form"].errors
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("\u200b\u200b", "Details"),  # zero-width spaces, as pasted from a document
        ("\ufeff\u200e \u2066", "Details"),  # a byte order mark, direction marks
        ("Printer", "\u200b\n\u200d"),
    ],
)
def test_a_title_or_description_of_invisible_characters_is_a_form_error(
    client_for, requester, title, description
):
    """They filed a ticket listed as an empty line, in "My tickets" and in the console."""
    response = client_for(requester).post(
        "/new/", {"title": title, "description": description, "urgency": "low"}
    )

    assert response.status_code == 400
    field = "title" if title != "Printer" else "description"
    assert response.context["form"].errors[field] == ["This field is required."]
    assert Ticket.objects.count() == 0


# --- my tickets and the ticket page -----------------------------------------------------------


def test_my_tickets_lists_only_mine_with_status_in_plain_words(
    client_for, requester, outsider, make_ticket
):
    mine = make_ticket(Status.ON_HOLD)
    theirs = make_ticket(requester=outsider, title="Someone else's")

    body = client_for(requester).get("/my/").content.decode()

    assert mine.reference in body
    assert "Waiting for your reply" in body
    assert theirs.reference not in body


def test_my_tickets_tabs_name_the_tickets_in_spanish_and_an_unknown_tab_is_the_open_one(
    client_for, requester, make_ticket
):
    # The tabs said "Abierto" / "Cerrado" (one adjective, as a breach's state); an edited
    # ?show= listed every ticket under no tab at all.
    requester.language = "es"
    requester.save(update_fields=["language"])
    still_open = make_ticket(Status.ON_HOLD, title="Still open")
    make_ticket(Status.CLOSED, title="Long closed")
    client = client_for(requester)

    html = client.get("/my/").content.decode()
    assert ">Abiertos</a>" in html and ">Cerrados</a>" in html and ">Todos</a>" in html

    html = client.get("/my/?show=everything").content.decode()
    assert 'href="?show=open" aria-current="page"' in html
    assert still_open.title in html and "Long closed" not in html


def test_my_tickets_pages_back_to_the_newest_from_an_older_page(
    client_for, requester, make_ticket, monkeypatch
):
    """An older page offered only "Older tickets": the way back to the newest was the tab."""
    monkeypatch.setattr("tickets.views.portal.PAGE_SIZE", 2)
    oldest, middle, newest = (make_ticket(title=f"Ticket {n}") for n in ("A", "B", "C"))
    client = client_for(requester)

    first = client.get("/my/?show=all").content.decode()
    older_link = f'href="?show=all&amp;before={middle.pk}"'
    assert older_link in first and "data-first-page" not in first
    assert newest.title in first and oldest.title not in first

    older = client.get(f"/my/?show=all&before={middle.pk}").content.decode()
    assert oldest.title in older and newest.title not in older
    assert 'data-first-page href="?show=all"' in older and "data-next-page" not in older


def test_requester_cannot_open_another_requesters_ticket(client_for, outsider, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    assert client_for(outsider).get(f"/tickets/{ticket.pk}/").status_code == 404
    assert (
        client_for(outsider).post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "hi"}).status_code
        == 404
    )
    assert client_for(outsider).post(f"/tickets/{ticket.pk}/do/close/").status_code == 404
    assert Comment.objects.count() == 0


def test_anonymous_visitor_is_sent_to_sign_in(client_for, make_ticket):
    ticket = make_ticket()

    response = client_for(None).get(f"/tickets/{ticket.pk}/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.fixture
def conversation(make_ticket, agent_l1):
    """A ticket with a public reply, an internal note and a file of each kind."""
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.comment_create(ticket=ticket, actor=agent_l1, body="We are looking into it.")
    services.comment_create(
        ticket=ticket, actor=agent_l1, body="SECRET: the gateway is misconfigured", is_internal=True
    )
    public = services.attachment_add(ticket=ticket, actor=agent_l1, upload=upload("public.txt"))
    internal = services.attachment_add(
        ticket=ticket, actor=agent_l1, upload=upload("internal.txt"), is_internal=True
    )
    return ticket, public, internal


def test_requester_sees_the_public_conversation_never_internal_notes_or_files(
    client_for, requester, conversation
):
    ticket, _public, _internal = conversation

    body = client_for(requester).get(f"/tickets/{ticket.pk}/").content.decode()

    assert "We are looking into it." in body
    assert "SECRET" not in body
    assert "public.txt" in body
    assert "internal.txt" not in body
    assert "Internal note" not in body


def test_requester_downloads_public_files_but_not_internal_ones(
    client_for, requester, conversation
):
    ticket, public, internal = conversation
    client = client_for(requester)

    response = client.get(f"/tickets/{ticket.pk}/files/{public.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\x89PNG\r\n\x1a\n fake"
    assert "attachment" in response["Content-Disposition"]

    assert client.get(f"/tickets/{ticket.pk}/files/{internal.pk}/").status_code == 404


def test_a_file_of_another_ticket_is_not_served(
    client_for, requester, outsider, make_ticket, conversation
):
    _ticket, public, _internal = conversation
    other = make_ticket(requester=outsider)

    assert client_for(outsider).get(f"/tickets/{other.pk}/files/{public.pk}/").status_code == 404


def test_requester_replies_with_a_file(client_for, requester, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = client_for(requester).post(
        f"/tickets/{ticket.pk}/reply/",
        {"reply-body": "Here is the log", "reply-attachments": [upload("vpn.log")]},
    )

    assert response.status_code == 302
    comment = Comment.objects.get()
    assert (comment.author, comment.body, comment.is_internal) == (
        requester,
        "Here is the log",
        False,
    )
    assert comment.attachments.get().filename == "vpn.log"


def test_requester_cannot_sneak_an_internal_note(client_for, requester, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    client_for(requester).post(
        f"/tickets/{ticket.pk}/reply/", {"reply-body": "hi", "reply-is_internal": "true"}
    )

    assert Comment.objects.get().is_internal is False


@pytest.mark.parametrize("body", ["  ", "\u200b\u200f"])  # spaces; invisible characters
def test_an_empty_reply_is_a_form_error(client_for, requester, make_ticket, body):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = client_for(requester).post(f"/tickets/{ticket.pk}/reply/", {"reply-body": body})

    assert response.status_code == 400
    assert "body" in response.context["reply_form"].errors
    assert Comment.objects.count() == 0


def test_a_reply_to_a_ticket_closed_meanwhile_says_why_and_keeps_the_text(
    client_for, requester, make_ticket
):
    # The page was opened while the ticket was solved; it closed before the reply was sent. The
    # 400 page hid the reply form, so the reason and the text typed were both gone.
    ticket = make_ticket(Status.CLOSED)

    response = client_for(requester).post(
        f"/tickets/{ticket.pk}/reply/", {"reply-body": "It broke again this morning."}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "This ticket is closed; please open a new one." in html
    assert "It broke again this morning." in html
    # The text to copy into a new request, without a Send button that only met the same refusal.
    assert 'data-testid="reply-send"' not in html
    assert Comment.objects.count() == 0
    # Read afresh, the closed ticket has no reply form.
    page = client_for(requester).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="reply-form"' not in page


def test_files_for_a_ticket_closed_meanwhile_are_refused_with_the_reason(
    client_for, requester, make_ticket
):
    # They were stored on the closed ticket with "Files added.", where nobody looks again.
    ticket = make_ticket(Status.CLOSED)

    response = client_for(requester).post(
        f"/tickets/{ticket.pk}/attach/",
        {"attach-attachments": [SimpleUploadedFile("error.txt", b"stack trace")]},
    )

    assert response.status_code == 400
    assert "This ticket is closed; please open a new one." in response.content.decode()
    assert Attachment.objects.count() == 0


@pytest.mark.parametrize("language", ["en", "es"])
def test_add_files_with_none_chosen_says_so_instead_of_files_added(
    client, requester, make_ticket, language
):
    # It said "Files added." and added nothing (the field's `required` was ignored); through
    # the secret link too.
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = client.post(f"/t/{ticket.tracking_token}/attach/", {}, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    html = response.content.decode()
    assert ("This field is required." if language == "en" else "Este campo es requerido.") in html
    assert "Files added." not in html and "Archivos añadidos." not in html
    assert Attachment.objects.count() == 0


def test_requester_adds_files_without_a_message(client_for, requester, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = client_for(requester).post(
        f"/tickets/{ticket.pk}/attach/",
        {"attach-attachments": [upload("a.png"), upload("b.png")], "attach-is_internal": "on"},
    )

    assert response.status_code == 302
    assert sorted(ticket.attachments.values_list("filename", "is_internal")) == [
        ("a.png", False),
        ("b.png", False),
    ]


def test_requester_confirms_the_resolution(client_for, requester, make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    client = client_for(requester)
    assert "Yes, it is solved" in client.get(f"/tickets/{ticket.pk}/").content.decode()

    response = client.post(f"/tickets/{ticket.pk}/do/close/", follow=True)

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert response.status_code == 200


def test_reopening_needs_a_reason(client_for, requester, make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    client = client_for(requester)

    response = client.post(f"/tickets/{ticket.pk}/do/reopen/", {"reopen-reason": ""})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED

    client.post(f"/tickets/{ticket.pk}/do/reopen/", {"reopen-reason": "Still broken"})
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS
    assert ticket.events.filter(transition="reopen", reason="Still broken").exists()


def test_requester_withdraws_their_ticket(client_for, requester, make_ticket):
    ticket = make_ticket(Status.PRIORITIZED)

    client_for(requester).post(
        f"/tickets/{ticket.pk}/do/cancel/", {"cancel-reason": "Fixed itself"}
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.closure_code) == (Status.CLOSED, "withdrawn")


def test_requester_is_not_offered_and_cannot_run_agent_transitions(
    client_for, requester, make_ticket
):
    ticket = make_ticket(Status.PRIORITIZED)

    assert client_for(requester).post(f"/tickets/{ticket.pk}/do/take/").status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Status.PRIORITIZED


def test_closing_an_unresolved_ticket_is_refused_with_a_message(client_for, requester, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = client_for(requester).post(f"/tickets/{ticket.pk}/do/close/")

    body = response.content.decode()
    assert response.status_code == 409  # the page, with why (a redirect read as done)
    assert "You cannot do this now." in body
    assert "An agent is working on it" in body
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS


# --- the secret tracking link -----------------------------------------------------------------


def test_tracking_link_shows_the_public_conversation(client_for, conversation):
    ticket, _public, _internal = conversation

    response = client_for(None).get(f"/t/{ticket.tracking_token}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert ticket.title in body
    assert "We are looking into it." in body
    assert "SECRET" not in body
    assert "internal.txt" not in body


def test_tracking_link_never_shows_internal_notes_even_when_the_requester_is_staff(
    client_for, agent_l2, agent_l1
):
    # An agent can open a ticket as a requester; through the link they are the public.
    ticket = services.ticket_create(requester=agent_l2, title="My laptop", description="Broken")
    services.comment_create(ticket=ticket, actor=agent_l1, body="SECRET", is_internal=True)

    body = client_for(None).get(f"/t/{ticket.tracking_token}/").content.decode()

    assert "SECRET" not in body


def test_a_wrong_token_is_404(client_for, make_ticket):
    ticket = make_ticket()

    assert client_for(None).get(f"/t/{ticket.tracking_token}x/").status_code == 404
    assert client_for(None).get("/t/not-a-token/").status_code == 404
    assert client_for(None).post("/t/not-a-token/reply/", {"reply-body": "hi"}).status_code == 404


def test_tracking_link_lets_the_requester_reply_and_confirm(client_for, requester, make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    client = client_for(None)

    client.post(
        f"/t/{ticket.tracking_token}/reply/", {"reply-body": "Thanks!", "reply-is_internal": "true"}
    )
    comment = Comment.objects.get()
    assert (comment.author, comment.is_internal) == (requester, False)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS  # a reply to a resolved ticket reopens it


def test_a_reply_to_a_solved_ticket_says_it_reopens_it(client_for, requester, make_ticket):
    # A "thank you" under the solution reopened the ticket with "Reply sent." and nothing on the
    # page said a reply would: the form says so now, and so does the answer.
    ticket = make_ticket(Status.RESOLVED)
    client = client_for(requester)

    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    response = client.post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "Thanks!"}, follow=True)

    assert "A reply reopens this request." in page
    assert "Reply sent. The ticket is reopened." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS
    assert 'data-testid="reply-reopens"' not in response.content.decode()  # no longer solved


def test_tracking_link_downloads_only_public_files(client_for, conversation):
    ticket, public, internal = conversation
    client = client_for(None)

    assert client.get(f"/t/{ticket.tracking_token}/files/{public.pk}/").status_code == 200
    assert client.get(f"/t/{ticket.tracking_token}/files/{internal.pk}/").status_code == 404


def test_tracking_link_closes_a_resolved_ticket(client_for, make_ticket):
    ticket = make_ticket(Status.RESOLVED)

    response = client_for(None).post(f"/t/{ticket.tracking_token}/do/close/")

    assert response.status_code == 302
    assert response["Location"] == f"/t/{ticket.tracking_token}/"
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_dates_are_shown_in_the_users_time_zone_and_language(client_for, requester, make_ticket):
    import time_machine

    with time_machine.travel("2026-03-02 12:00:00+00:00", tick=False):
        ticket = make_ticket()
    requester.time_zone = "America/New_York"
    requester.language = "es"
    requester.save()

    body = client_for(requester).get(f"/tickets/{ticket.pk}/").content.decode()

    assert "2 mar 2026, 07:00" in body  # 12:00 UTC in New York, in Spanish (on hover)


def test_anonymous_submission_with_a_staff_address_files_a_guest_ticket(client_for, agent_l1):
    agent_l1.username = "liam@example.com"
    agent_l1.save()

    response = client_for(None).post(
        "/new/",
        {
            "name": "Liam",
            "email": "liam@example.com",
            "title": "Laptop",
            "description": "Broken",
            "urgency": "low",
        },
    )

    # Nothing tells the visitor that the address has an account (tickets/guests.py).
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.requester != agent_l1 and not ticket.requester.email


@pytest.mark.parametrize("through", ["page", "tracking link", "thank you page"])
def test_every_field_of_the_requesters_ticket_page_has_a_label(
    client_for, requester, make_ticket, through
):
    # The "Add files" input had none: a screen reader announced a bare "Choose files".
    # Nor had the private link's box on the anonymous "thank you" page.
    ticket = make_ticket(Status.RESOLVED)  # reply, add files, confirm and reopen forms
    if through == "page":
        html = client_for(requester).get(f"/tickets/{ticket.pk}/").content.decode()
    elif through == "tracking link":
        html = client_for(None).get(f"/t/{ticket.tracking_token}/").content.decode()
    else:
        html = client_for(None).get(f"/t/{ticket.tracking_token}/created/").content.decode()

    fields = re.findall(r"<(?:input|textarea|select)\b[^>]*>", html)
    visible = [f for f in fields if not re.search(r'type="(hidden|submit|button)"', f)]
    ids = [re.search(r'id="([^"]+)"', f) for f in visible]
    unlabelled = [
        f
        for f, found in zip(visible, ids, strict=True)
        if "aria-label" not in f and (found is None or f'for="{found.group(1)}"' not in html)
    ]
    assert len(visible) >= (1 if through == "thank you page" else 3)
    assert unlabelled == []


def test_a_reopen_reason_for_a_ticket_closed_meanwhile_comes_back_to_copy(
    client_for, requester, make_ticket
):
    # The requester wrote why it was not solved while the ticket closed (automatically, or from
    # another tab): the refusal redirected to the ticket page and the reason was gone.
    ticket = make_ticket(Status.CLOSED)

    response = client_for(requester).post(
        f"/tickets/{ticket.pk}/do/reopen/", {"reopen-reason": "It still crashes on export."}
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "It still crashes on export." in html
    assert "Not sent: this request was closed meanwhile." in html
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert Comment.objects.filter(ticket=ticket, body__contains="crashes").count() == 0


def test_a_reopen_reason_refused_on_the_tracking_link_goes_to_the_reply_box(
    client, requester, make_ticket
):
    # A reply from another tab reopened it first: the reason can still be sent, as a reply.
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    tracking = f"/t/{ticket.tracking_token}/"

    response = client.post(f"{tracking}do/reopen/", {"reopen-reason": "Still blank screen."})

    assert response.status_code == 409
    reply = response.context["reply_form"]
    assert reply["body"].value() == "Still blank screen."
    assert "Not sent: this request changed meanwhile." in response.content.decode()
    response = client.post(f"{tracking}reply/", {"reply-body": reply["body"].value()})
    assert response.status_code == 302
    assert Comment.objects.filter(ticket=ticket, body="Still blank screen.").exists()


@pytest.mark.parametrize("via", ["signed-in", "tracking"])
def test_a_refused_close_without_text_shows_the_ticket_with_why(
    client_for, requester, make_ticket, via
):
    # Refused without text it redirected (a 302 read as done), with text it answered 409: now
    # always the ticket page with the reason and a 409, in the requester's words.
    ticket = make_ticket(Status.CLOSED)
    client = client_for(requester if via == "signed-in" else None)
    base = f"/tickets/{ticket.pk}/" if via == "signed-in" else f"/t/{ticket.tracking_token}/"

    response = client.post(f"{base}do/close/", {})

    assert response.status_code == 409
    body = response.content.decode()
    assert "You cannot do this now. The ticket is now: Closed." in body
    assert "closed this ticket meanwhile" not in body  # the agents' words


# --- a reply that is only a file -----------------------------------------------------------------


@pytest.mark.parametrize("via", ["signed-in", "tracking"])
def test_a_reply_with_only_a_screenshot_is_sent_with_the_file(
    client_for, requester, make_ticket, via
):
    # A file and no text was answered "This field is required." on the message: the user who
    # only wanted to send a screenshot was stopped with a misleading message.
    ticket = make_ticket(Status.ON_HOLD)
    client = client_for(requester)
    url = (
        f"/tickets/{ticket.pk}/reply/"
        if via == "signed-in"
        else f"/t/{ticket.tracking_token}/reply/"
    )

    response = client.post(url, {"reply-body": "  ", "reply-attachments": [upload()]})

    assert response.status_code == 302
    comment = Comment.objects.get()
    assert (comment.body, comment.is_internal) == ("", False)
    assert comment.attachments.get().filename == "screenshot.png"
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS  # a reply like any other: the ticket resumes
    page = client.get(response["Location"]).content.decode()
    assert "Reply sent." in page and "screenshot.png" in page


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_reply_with_neither_text_nor_file_says_what_is_missing(
    client_for, requester, make_ticket, language
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    requester.language = language
    requester.save(update_fields=["language"])

    response = client_for(requester).post(f"/tickets/{ticket.pk}/reply/", {"reply-body": ""})

    assert response.status_code == 400
    html = response.content.decode()
    expected = (
        "Write a message or attach a file."
        if language == "en"
        else "Escriba un mensaje o adjunte un archivo."
    )
    assert expected in html
    assert "This field is required." not in html
    assert not Comment.objects.exists()


def test_a_reply_with_only_a_refused_file_names_the_file_not_the_message(
    client_for, requester, make_ticket
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = client_for(requester).post(
        f"/tickets/{ticket.pk}/reply/",
        {"reply-attachments": [SimpleUploadedFile("tool.exe", b"MZ")]},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Files of type “exe” are not accepted." in html
    assert "Write a message or attach a file." not in html
    assert not Comment.objects.exists()
