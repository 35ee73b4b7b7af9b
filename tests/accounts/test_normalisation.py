"""Look-alike addresses and user names (issue 17.7): NFKC + casefold on every path, unique.

`bob@ｂeta.example` has a full-width `ｂ` (U+FF42); `BOB@beta.example` differs only in case.
Both are `bob@beta.example`.
"""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Role, User, normalize_identity
from mailin.models import Outcome
from mailin.services import inbound_process
from tests.factories import UserFactory
from tests.mailin.messages import build
from tickets import guests
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

FULL_WIDTH = "bob@\uff42eta.example"
UPPER = "BOB@beta.example"
PLAIN = "bob@beta.example"
PASSWORD = "a-long-pass-phrase"
MIGRATION = "accounts.migrations.0004_normalise_addresses_and_usernames"


@pytest.fixture
def bob() -> User:
    user = User.objects.create_user(username=UPPER, email=UPPER, password=PASSWORD)
    user.display_name = "Bob"
    user.save()
    return user


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (FULL_WIDTH, PLAIN),
        (UPPER, PLAIN),
        (" Bob@Beta.Example ", PLAIN),
        ("bob\uff20beta.example", PLAIN),  # a full-width at sign
        ("STRASSE@example.com", "strasse@example.com"),
        ("straße@example.com", "strasse@example.com"),
        ("ﬁona@example.com", "fiona@example.com"),  # a ligature
    ],
)
def test_normalize_identity(raw, normal):
    assert normalize_identity(raw) == normal
    assert normalize_identity(normal) == normal


def test_create_user_stores_both_normalised(bob):
    assert (bob.username, bob.email) == (PLAIN, PLAIN)


def test_sign_up_with_a_look_alike_of_a_known_address_makes_no_second_account(worker, bob):
    with worker():
        for address in (FULL_WIDTH, UPPER):
            Client().post(
                "/accounts/signup/",
                {"name": "Mallory", "email": address, "password": PASSWORD, "language": "en"},
            )

    assert list(User.objects.values_list("email", flat=True)) == [PLAIN]


def test_sign_up_stores_the_normalised_address(worker):
    with worker():
        Client().post("/accounts/signup/", {"name": "Bob", "email": FULL_WIDTH, "language": "en"})

    assert User.objects.filter(email=PLAIN).exists()
    assert not User.objects.filter(email=FULL_WIDTH).exists()


@pytest.mark.parametrize("typed", [FULL_WIDTH, UPPER, PLAIN])
def test_sign_in_with_any_spelling_reaches_the_one_account(typed, bob):
    client = Client()

    response = client.post("/accounts/login/", {"username": typed, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(bob.pk)


def test_the_token_endpoint_accepts_any_spelling(bob):
    response = APIClient().post("/api/auth/token/", {"username": FULL_WIDTH, "password": PASSWORD})

    assert response.status_code == 200
    assert response.json()["token"]


def test_failed_sign_ins_count_against_one_name_whatever_the_spelling(settings, bob):
    client = Client()
    spellings = [UPPER, FULL_WIDTH, PLAIN, "Bob@Beta.Example", "BOB@\uff42ETA.EXAMPLE"]
    for typed in spellings[: settings.AXES_FAILURE_LIMIT]:
        client.post("/accounts/login/", {"username": typed, "password": "wrong"})

    response = client.post("/accounts/login/", {"username": PLAIN, "password": PASSWORD})

    assert response.status_code == 429


def test_anonymous_submissions_with_look_alikes_are_one_address(category):
    """The first one makes the account; the look-alike that follows is that address again, so a
    guest ticket its holder can claim (tickets/guests.py), never a second account."""
    for address in (UPPER, FULL_WIDTH):
        response = Client().post(
            "/new/",
            {
                "title": "Printer",
                "description": "Jammed.",
                "urgency": "low",
                "category": category.pk,
                "email": address,
                "name": "Bob",
            },
        )
        assert response.status_code == 302

    account = User.objects.get(email=PLAIN)
    assert list(User.objects.exclude(email="").values_list("pk", flat=True)) == [account.pk]
    assert [t.contact_email for t in Ticket.objects.order_by("pk")] == [PLAIN, PLAIN]
    assert list(guests.guest_tickets_for(user=account)) == [Ticket.objects.latest("pk")]


def test_an_anonymous_submission_with_a_staff_address_files_nothing_under_staff(category, agent_l1):
    response = Client().post(
        "/new/",
        {
            "title": "Printer",
            "description": "Jammed.",
            "urgency": "low",
            "category": category.pk,
            "email": agent_l1.email.upper(),
            "name": "Bob",
        },
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.requester != agent_l1
    assert guests.is_guest(ticket.requester)


def test_an_agent_logging_a_ticket_for_a_look_alike_files_it_under_the_account(api, agent_l1, bob):
    response = api(agent_l1).post(
        "/api/tickets/",
        {"title": "Printer", "description": "Jammed.", "requester_email": FULL_WIDTH},
        format="json",
    )

    assert response.status_code == 201
    assert Ticket.objects.get().requester == bob
    assert User.objects.filter(email__endswith="eta.example").count() == 1


def test_email_intake_from_a_look_alike_files_it_under_the_account(bob):
    result = inbound_process(raw=build(sender=f"Bob <{FULL_WIDTH.upper()}>"))

    assert result.outcome == Outcome.TICKET_CREATED
    assert Ticket.objects.get().requester == bob
    assert User.objects.count() == 1


def test_email_intake_from_a_manager_is_filed_under_their_account(manager):
    manager.email = "boss@example.com"
    manager.save()

    inbound_process(raw=build(sender="Boss <BOSS@example.com>"))

    assert Ticket.objects.get().requester == manager
    assert User.objects.filter(email="boss@example.com").count() == 1


def test_the_admin_refuses_a_look_alike_user_name(admin_client, bob):
    before = User.objects.count()

    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": FULL_WIDTH,
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "username" in response.context["adminform"].form.errors
    assert User.objects.count() == before


def test_the_admin_stores_new_names_normalised(admin_client):
    admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "Ana@Example.COM",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert User.objects.filter(username="ana@example.com").exists()


def test_model_validation_refuses_a_look_alike_email(bob):
    # What the admin's change form runs (ModelForm → full_clean).
    other = UserFactory(username="carol")
    other.email = FULL_WIDTH

    with pytest.raises(ValidationError) as error:
        other.full_clean()

    assert other.email == PLAIN
    assert "email" in str(error.value) or "already exists" in str(error.value)


def test_the_database_refuses_a_second_account_with_the_address(bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="bob2", email=PLAIN)


def test_accounts_without_an_address_do_not_collide():
    User.objects.create(username="service-1", email="")
    User.objects.create(username="service-2", email="")

    assert User.objects.filter(email="").count() == 2


def test_the_migration_normalises_rows_and_deactivates_later_look_alikes(requester):
    migration = importlib.import_module(MIGRATION)
    # Rows as an older version could store them (written around the validation).
    first = User.objects.create(username="Bob", email=UPPER, role=Role.REQUESTER)
    look_alike = User.objects.create(username="mallory", email=FULL_WIDTH)
    same_name = User.objects.create(username="BOB", email="robert@example.com")
    ticket = Ticket.objects.create(requester=look_alike, title="Mine", description="d")

    migration.normalise(apps, None)

    first.refresh_from_db()
    look_alike.refresh_from_db()
    same_name.refresh_from_db()
    assert (first.username, first.email, first.is_active) == ("bob", PLAIN, True)
    assert look_alike.email == ""
    assert look_alike.username == f"duplicate-{look_alike.pk}-mallory"
    assert not look_alike.is_active
    assert (same_name.username, same_name.email, same_name.is_active) == (
        f"duplicate-{same_name.pk}-bob",
        "",
        False,
    )
    assert Ticket.objects.get(pk=ticket.pk).requester == look_alike  # history is kept
    requester.refresh_from_db()
    assert (requester.username, requester.is_active) == ("requester", True)


def test_an_address_that_folding_makes_too_long_is_a_form_error_not_a_500(category):
    # 84 × "ﬃ" (one character each) is 252 characters with the domain; NFKC makes each "ffi".
    address = "\ufb03" * 84 + "@x.es"
    for url, data in [
        ("/accounts/signup/", {"name": "N", "email": address, "language": "en"}),
        ("/accounts/password/reset/", {"email": address}),
    ]:
        response = Client().post(url, data)
        assert response.status_code == 400
        assert "email" in response.context["form"].errors
    anonymous = Client().post(
        "/new/",
        {
            "title": "Printer",
            "description": "Jammed.",
            "urgency": "low",
            "category": category.pk,
            "email": address,
            "name": "N",
        },
    )
    assert anonymous.status_code in (200, 400)
    assert not User.objects.exists()


def test_model_validation_refuses_a_name_that_folding_makes_too_long():
    user = User(username="\ufb03" * 60, email="")  # 60 characters, 180 once folded

    with pytest.raises(ValidationError) as error:
        user.full_clean()

    assert "username" in error.value.message_dict
