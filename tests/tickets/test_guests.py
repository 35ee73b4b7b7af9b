"""Guest tickets (issue 17 item 6) and tracking links the requester can revoke, which expire once
the ticket has been closed for HELPDESK_TRACKING_LINK_DAYS (issue 17, "Smaller")."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Organisation, User
from notifications.models import Notification, NotificationKind
from notifications.services import notification_deliver
from tests.factories import UserFactory
from tickets import guests
from tickets.models import EventKind, Status, Ticket

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Mallory",
    "email": "BOB@beta.example",
    "title": "Reset my password",
    "description": "Please send it to mallory@evil.example",
    "urgency": "medium",
}


@pytest.fixture
def bob() -> User:
    beta = Organisation.objects.create(name="Beta Industries", share_tickets=True)
    user = UserFactory(
        username="bob@beta.example",
        email="bob@beta.example",
        display_name="Bob Account",
        organisation=beta,
    )
    user.set_password("bob-password-2026")
    user.save()
    return user


def _deliver(kind: str) -> list:
    mail.outbox.clear()
    for notification in Notification.objects.filter(kind=kind):
        notification_deliver(notification_id=notification.pk)
    return list(mail.outbox)


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- guest tickets ----------------------------------------------------------------------------


def test_the_public_form_with_a_registered_address_files_a_guest_ticket(bob, category):
    bobs_own = Ticket.objects.create(
        title="Bob's VPN", description="x", requester=bob, organisation=bob.organisation
    )
    response = Client().post("/new/", FORM)

    assert response.status_code == 302
    ticket = Ticket.objects.exclude(pk=bobs_own.pk).get()
    guest = ticket.requester
    assert guest != bob
    assert (guest.email, guest.organisation_id, ticket.organisation_id) == ("", None, None)
    assert not guest.has_usable_password()
    page = Client().get(f"/t/{ticket.tracking_token}/").content.decode()
    assert "Mallory" in page
    for secret in ("Bob Account", "Beta Industries", "Bob's VPN", bobs_own.reference):
        assert secret not in page
    # Nothing of it reached Bob's account, nor his organisation's shared tickets.
    assert _signed_in(bob).get(f"/tickets/{ticket.pk}/").status_code == 404
    colleague = UserFactory(username="carol@beta.example", organisation=bob.organisation)
    assert _signed_in(colleague).get(f"/tickets/{ticket.pk}/").status_code == 404


def test_the_guest_is_emailed_at_the_address_they_gave(bob, category):
    Client().post("/new/", FORM)
    (acknowledgement,) = _deliver(NotificationKind.TICKET_CREATED)
    assert acknowledgement.to == ["bob@beta.example"]  # stored normalised, as accounts' are
    assert "Hello Mallory" in acknowledgement.body


def test_the_account_holder_claims_guest_tickets_through_the_emailed_link(bob, category):
    Client().post("/new/", FORM)
    ticket = Ticket.objects.get()
    guest = ticket.requester
    client = _signed_in(bob)

    banner = client.get("/my/").content.decode()
    assert ticket.reference in banner and "bob@beta.example" in banner
    assert client.post("/my/claim/").status_code == 302
    assert client.post("/my/claim/").status_code == 302  # pressed twice: one email
    (email,) = _deliver(NotificationKind.GUEST_CLAIM)
    assert email.to == ["bob@beta.example"]
    link = re.search(r"http://\S+/my/claim/(\S+)/", email.body).group(0)
    path = link.removeprefix("http://127.0.0.1:8000")

    page = client.get(path)  # a GET (a mail scanner) claims nothing
    assert page.status_code == 200 and ticket.reference in page.content.decode()
    assert Ticket.objects.get().requester == guest
    assert client.post(path).status_code == 302

    ticket.refresh_from_db()
    assert (ticket.requester, ticket.organisation) == (bob, bob.organisation)
    event = ticket.events.get(kind=EventKind.CHANGE)
    assert (event.actor, event.changes) == (bob, {"requester_id": [guest.pk, bob.pk]})
    mine = client.get("/my/").content.decode()
    assert ticket.reference in mine and 'data-testid="guest-claim"' not in mine
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 200


def test_a_claim_link_serves_only_its_account_and_expires(bob, requester, category):
    Client().post("/new/", FORM)
    _signed_in(bob).post("/my/claim/")
    (email,) = _deliver(NotificationKind.GUEST_CLAIM)
    path = re.search(r"/my/claim/\S+/", email.body).group(0)

    # Someone else, signed in, with Bob's link (a forwarded email): refused.
    assert _signed_in(requester).post(path).status_code == 400
    assert _signed_in(bob).get("/my/claim/forged-token/").status_code == 400
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert _signed_in(bob).post(path).status_code == 400
    assert Ticket.objects.get().requester != bob
    # A requester whose address sent nothing has nothing to claim and gets no email.
    _signed_in(requester).post("/my/claim/")
    assert _deliver(NotificationKind.GUEST_CLAIM) == []


def test_a_new_address_still_gets_its_own_requester(category):
    Client().post("/new/", {**FORM, "email": "new@example.com"})
    assert Ticket.objects.get().requester.email == "new@example.com"


# --- tracking links ---------------------------------------------------------------------------


def test_the_requester_revokes_the_tracking_link_and_gets_a_new_one(make_ticket):
    ticket = make_ticket()
    old = ticket.tracking_token
    anonymous = Client()
    page = anonymous.get(f"/t/{old}/").content.decode()
    assert f"/t/{old}/tracking-link/" in page

    response = anonymous.post(f"/t/{old}/tracking-link/", {"confirm": "yes"})

    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.tracking_token != old
    assert anonymous.get(f"/t/{old}/").status_code == 404
    (email,) = _deliver(NotificationKind.TRACKING_LINK)
    assert f"/t/{ticket.tracking_token}/" in email.body and old not in email.body
    assert anonymous.get(f"/t/{ticket.tracking_token}/").status_code == 200


def test_the_signed_in_requester_revokes_from_the_ticket_page(make_ticket, requester, agent_l1):
    ticket = make_ticket()
    old = ticket.tracking_token
    # Without the confirmation nothing happens; an agent cannot revoke the requester's link.
    assert _signed_in(requester).post(f"/tickets/{ticket.pk}/tracking-link/").status_code == 302
    response = _signed_in(agent_l1).post(f"/tickets/{ticket.pk}/tracking-link/", {"confirm": "yes"})
    assert response.status_code == 403
    assert Ticket.objects.get().tracking_token == old

    response = _signed_in(requester).post(
        f"/tickets/{ticket.pk}/tracking-link/", {"confirm": "yes"}
    )
    assert response.status_code == 302
    assert Client().get(f"/t/{old}/").status_code == 404
    assert len(_deliver(NotificationKind.TRACKING_LINK)) == 1


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("en", "This tracking link does not work"),
        ("es", "Este enlace de seguimiento no funciona"),
    ],
)
def test_a_replaced_tracking_link_says_what_may_have_happened(
    make_ticket, client_for, requester, language, says
):
    # It said "the ticket is not yours to see" and sent the guest to the sign-in page.
    ticket = make_ticket()
    old = ticket.tracking_token
    Client().post(f"/t/{old}/tracking-link/", {"confirm": "yes"})

    for url in (f"/t/{old}/", f"/t/{old}/created/", "/t/never-issued/"):
        response = Client().get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 404
        html = response.content.decode()
        assert says in html and 'href="/new/"' in html
        assert "not yours to see" not in html
    # Any other missing page keeps its words.
    for other in (client_for(requester).get("/tickets/999999/"), Client().get("/no-such-page/")):
        assert other.status_code == 404
        assert "This tracking link" not in other.content.decode()


@pytest.mark.parametrize(("days", "code"), [(89, 200), (91, 404)])
def test_a_tracking_link_expires_after_the_ticket_has_been_closed_for_long(
    make_ticket, settings, days, code
):
    settings.HELPDESK_TRACKING_LINK_DAYS = 90
    ticket = make_ticket(Status.CLOSED)
    token = ticket.tracking_token
    with time_machine.travel(ticket.closed_at + timedelta(days=days)):
        assert Client().get(f"/t/{token}/").status_code == code


def test_the_guest_replies_by_email_from_the_address_they_gave(bob, category):
    from mailin.services import inbound_process
    from notifications.threads import ticket_thread_id
    from tests.mailin.messages import build

    Client().post("/new/", FORM)
    ticket = Ticket.objects.get()
    raw = build(
        sender="Bob <bob@beta.example>",
        subject=f"Re: [{ticket.reference}] We have received your request",
        body="More details.",
        headers={"In-Reply-To": ticket_thread_id(ticket.pk)},
    )
    inbound_process(raw=raw)
    assert Ticket.objects.count() == 1  # a reply on the guest ticket, not a new one
    comment = ticket.comments.get()
    assert comment.author == ticket.requester and comment.body.startswith("More details.")


@pytest.mark.parametrize("count", [1, 30])
def test_my_tickets_with_the_claim_banner_costs_the_same_for_any_number(
    bob, category, django_assert_num_queries, count
):
    for number in range(count):
        Ticket.objects.create(title=f"Bob {number}", description="x", requester=bob)
        Client().post("/new/", {**FORM, "title": f"Guest {number}"})
    client = _signed_in(bob)
    # session, user, its organisation (shared tickets?), the page of tickets, their SLA clocks,
    # the unclaimed guest tickets (the guest identities a subquery on the user-name index)
    with django_assert_num_queries(6):
        response = client.get("/my/")
    assert response.content.decode().count("Guest ") == min(count, 20)


def test_a_look_alike_spelling_of_a_known_address_is_a_guest_the_account_can_claim(bob, category):
    # Full-width "ｂ" and capitals: one address once normalised (issue 17 item 7).
    Client().post("/new/", {**FORM, "email": "BOB@ｂeta.example", "category": category.pk})

    ticket = Ticket.objects.get()
    assert ticket.requester != bob
    assert ticket.contact_email == "bob@beta.example"
    assert list(guests.guest_tickets_for(user=bob)) == [ticket]


def test_an_address_that_is_a_user_name_is_known_too(category):
    staff = UserFactory(username="ops@beta.example", email="")

    Client().post("/new/", {**FORM, "email": "Ops@Beta.example", "category": category.pk})

    assert Ticket.objects.get().requester != staff


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_whether_an_address_is_known_is_read_from_the_indexes_not_a_scan(bob):
    # Every anonymous submission asks, and each one by a known address adds a guest account.
    with CaptureQueriesContext(connection) as queries:
        assert guests._address_known(guests.address_key("BOB@beta.example"))
    (query,) = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # (a few rows: a scan is cheaper)
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan, plan


# --- the guest's language ---------------------------------------------------------------------


def _reply_subjects(ticket: Ticket, agent: User, body: str) -> list[str]:
    from tickets.services import comment_create

    comment_create(ticket=ticket, actor=agent, body=body)
    return [message.subject for message in _deliver(NotificationKind.PUBLIC_REPLY)]


def test_a_guests_emails_follow_the_language_chosen_on_the_tracking_page(
    bob, category, agent_l1, django_capture_on_commit_callbacks
):
    # A guest who wrote in Spanish and then switched the tracking page to English kept getting
    # Spanish emails: the switch was remembered only for signed-in users.
    Client().post("/new/", FORM, HTTP_ACCEPT_LANGUAGE="es")
    ticket = Ticket.objects.get()
    guest = ticket.requester
    assert guest.language == "es"  # the form's language, from the first email on
    tracking = f"/t/{ticket.tracking_token}/"
    page = Client().get(tracking, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert f'action="{tracking}language/"' in page
    with django_capture_on_commit_callbacks(execute=True):
        assert _reply_subjects(ticket, agent_l1, "First answer")[0].startswith(
            f"[{ticket.reference}] Nueva respuesta"
        )

    response = Client().post(f"{tracking}language/", {"language": "en", "next": tracking})

    assert (response.status_code, response["Location"]) == (302, tracking)
    guest.refresh_from_db()
    assert guest.language == "en"
    with django_capture_on_commit_callbacks(execute=True):
        assert _reply_subjects(ticket, agent_l1, "Second answer")[0].startswith(
            f"[{ticket.reference}] New reply"
        )


def test_the_tracking_page_never_changes_an_account_holders_language(make_ticket, requester):
    # The account holder chooses on their profile; a forwarded link must not change it.
    requester.set_password("requester-password-2026")
    requester.language = "en"
    requester.save()
    ticket = make_ticket()
    tracking = f"/t/{ticket.tracking_token}/"

    response = Client().post(f"{tracking}language/", {"language": "es", "next": tracking})

    assert response.status_code == 302
    requester.refresh_from_db()
    assert requester.language == "en"


def test_a_wrong_tracking_link_changes_nobodys_language(bob, category):
    Client().post("/new/", FORM)
    guest = Ticket.objects.get().requester

    response = Client().post("/t/never-issued/language/", {"language": "es", "next": "/"})

    assert response.status_code == 404
    guest.refresh_from_db()
    assert guest.language == "en"
    unknown = Ticket.objects.get().tracking_token
    Client().post(f"/t/{unknown}/language/", {"language": "xx", "next": "/"})
    guest.refresh_from_db()
    assert guest.language == "en"  # an unknown language is ignored


def test_an_agent_switching_language_on_a_tracking_page_keeps_the_guests(bob, category, agent_l1):
    Client().post("/new/", FORM)
    ticket = Ticket.objects.get()
    tracking = f"/t/{ticket.tracking_token}/"

    _signed_in(agent_l1).post(f"{tracking}language/", {"language": "es", "next": tracking})

    ticket.requester.refresh_from_db()
    agent_l1.refresh_from_db()
    assert (ticket.requester.language, agent_l1.language) == ("en", "es")


def test_a_signed_out_account_holders_switch_on_the_tracking_page_sticks_after_signing_in(
    make_ticket, requester
):
    # Signed out, an account holder switched their tracking page to Spanish: the choice lived in
    # a cookie that ended with the browser session, and once they signed in the profile's
    # English took over again.
    requester.set_password("requester-password-2026")
    requester.language = "en"
    requester.save()
    ticket = make_ticket()
    tracking = f"/t/{ticket.tracking_token}/"
    client = Client()

    response = client.post(f"{tracking}language/", {"language": "es", "next": tracking})

    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert (cookie.value, cookie["max-age"]) == ("es", settings.LANGUAGE_COOKIE_AGE)
    assert cookie["max-age"] >= 30 * 24 * 3600  # kept by the browser, not for one session
    assert 'lang="es"' in client.get("/accounts/login/").content.decode()
    requester.refresh_from_db()
    assert requester.language == "en"  # nobody signed in yet: a forwarded link changes nothing

    response = client.post(
        "/accounts/login/",
        {"username": requester.username, "password": "requester-password-2026", "next": tracking},
    )

    assert (response.status_code, response["Location"]) == (302, tracking)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    requester.refresh_from_db()
    assert requester.language == "es"
    assert 'lang="es"' in client.get("/my/").content.decode()


def test_signing_in_without_a_choice_keeps_the_profiles_language(make_ticket, requester):
    requester.set_password("requester-password-2026")
    requester.language = "es"
    requester.save()
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # another person's, from before

    response = client.post(
        "/accounts/login/",
        {"username": requester.username, "password": "requester-password-2026"},
    )

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    requester.refresh_from_db()
    assert requester.language == "es"
    client.post("/accounts/logout/")
    assert 'lang="es"' in client.get("/accounts/login/").content.decode()
