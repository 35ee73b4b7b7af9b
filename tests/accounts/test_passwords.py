"""Password change and reset, and a sign-up that reveals no address (issue 17.1)."""

import re
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken, Role, User
from accounts.services import AccountEmail, account_email_send, api_token_create
from accounts.tasks import send_account_email
from notifications.models import Notification, NotificationKind
from notifications.tasks import deliver_notification

pytestmark = pytest.mark.django_db

OLD = "right-password-123"
NEW = "a-brand-new-phrase-42"
CSRF = re.compile(r'"X-CSRFToken": "\w+"|name="csrfmiddlewaretoken" value="\w+"')
LINK = re.compile(r"https?://\S+/accounts/reset/[\w-]+/[\w-]+/")


@pytest.fixture
def requester(requester):
    requester.email = "nora@example.com"
    requester.language = "es"
    requester.set_password(OLD)
    requester.save()
    return requester


def _link(message) -> str:
    (url,) = LINK.findall(message.body)
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def _choose_password(client: Client, url: str, password: str = NEW):
    form_page = client.get(url, follow=True)  # Django moves the token into the session
    assert form_page.status_code == 200
    assert form_page.context["validlink"]
    return client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
    )


def _reset(client: Client, email: str, **extra):
    return client.post("/accounts/password/reset/", {"email": email}, **extra)


def _sign_up(client: Client, email: str, **extra):
    data = {"name": "Nora", "email": email, "language": "es"}
    return client.post("/accounts/signup/", data, **extra)


# --- where they are -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"), [("en", "Forgot your password?"), ("es", "¿Ha olvidado su contraseña?")]
)
def test_the_sign_in_page_links_to_the_reset_page(language, text):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password/reset/"' in page
    assert text in page
    assert client.get("/accounts/password/reset/").status_code == 200


@pytest.mark.parametrize(
    ("language", "text"), [("en", "Change your password"), ("es", "Cambiar su contraseña")]
)
def test_the_profile_page_links_to_the_change_page(language, text, requester):
    requester.language = language
    requester.save()
    client = Client()
    client.force_login(requester)
    page = client.get("/accounts/profile/").content.decode()
    assert 'href="/accounts/password/change/"' in page
    assert text in page


# --- password reset -------------------------------------------------------------------------------


def test_a_reset_link_arrives_in_the_users_language_and_sets_the_password(worker, requester):
    token = api_token_create(user=requester)
    client = Client()

    with worker():
        response = _reset(client, "NORA@example.com")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    (message,) = mail.outbox
    assert message.to == ["nora@example.com"]
    assert message.subject == "Elija una nueva contraseña"
    url = _link(message)

    done = _choose_password(client, url)

    assert done.status_code == 302
    assert client.session["_auth_user_id"] == str(requester.pk)  # signed in
    requester.refresh_from_db()
    assert requester.check_password(NEW)
    assert not ApiToken.objects.filter(key_hash__isnull=False).exists(), token  # revoked
    # The link works once.
    again = Client().get(url, follow=True)
    assert not again.context["validlink"]


def test_the_reset_email_goes_through_the_outbox_after_the_request(worker, requester):
    client = Client()
    with worker() as published:
        _reset(client, requester.email)
        assert mail.outbox == []  # nothing is sent inside the request
        assert Notification.objects.count() == 0  # not even looked up there
    assert len(published) == 1
    notification = Notification.objects.get()
    assert (notification.kind, notification.recipient, notification.ticket) == (
        NotificationKind.PASSWORD_RESET,
        requester,
        None,
    )
    # The link's token is made when the email is rendered: the outbox row holds none.
    assert "reset" not in str(notification.context)
    assert len(mail.outbox) == 1


def test_an_unknown_address_gets_the_same_answer_and_no_email(worker, requester):
    client = Client()
    with worker():
        known = _reset(client, requester.email)
        unknown = _reset(client, "nobody@example.com")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1
    assert not User.objects.filter(email="nobody@example.com").exists()


def _page(url: str) -> str:
    """The page without its per-request CSRF tokens."""
    return CSRF.sub("", Client().get(url).content.decode())


def _request_cost(capture, path: str, data: dict) -> tuple[int, str, int, int]:
    """Status, location and number of queries of one request, and the tasks it published."""
    with (
        mock.patch("accounts.tasks.send_account_email.delay") as delay,
        CaptureQueriesContext(connection) as queries,
        capture(execute=True),
    ):
        response = Client().post(path, data)
    return response.status_code, response["Location"], len(queries), delay.call_count


@pytest.mark.parametrize(
    ("path", "field_values"),
    [
        ("/accounts/password/reset/", {}),
        ("/accounts/signup/", {"name": "Nora", "language": "en"}),
    ],
)
def test_the_request_does_the_same_work_whether_or_not_the_address_exists(
    path, field_values, requester, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    known = _request_cost(capture, path, {"email": requester.email, **field_values})
    unknown = _request_cost(capture, path, {"email": "nobody@example.com", **field_values})

    # Same answer, same database work (the lookup is the worker's), one task published each.
    assert known == unknown
    assert known[3] == 1
    assert _page(known[1]) == _page(unknown[1])


def test_reset_requests_are_rate_limited_per_client_address(settings, worker, requester):
    settings.HELPDESK_RATE_ACCOUNT_EMAILS = "3/3600"
    client = Client()
    with worker():
        codes = [_reset(client, f"someone{i}@example.com").status_code for i in range(3)]
        over = _reset(client, requester.email)
        other_client = _reset(Client(), requester.email, REMOTE_ADDR="203.0.113.9")

    assert codes == [302, 302, 302]
    assert over.status_code == 429
    assert over["Retry-After"] == "3600"
    assert other_client.status_code == 302
    assert len(mail.outbox) == 1  # only the other client's request was sent


def test_emails_to_one_address_are_capped_without_changing_the_answer(settings, worker, requester):
    settings.HELPDESK_RATE_ACCOUNT_EMAILS_PER_ADDRESS = "2/3600"
    with worker():
        answers = {
            _reset(Client(), requester.email, REMOTE_ADDR=f"203.0.113.{i}")["Location"]
            for i in range(5)
        }
        _sign_up(Client(), requester.email.upper(), REMOTE_ADDR="203.0.113.99")

    assert answers == {"/accounts/password/reset/done/"}
    assert len(mail.outbox) == 2  # the sign-up shares the address's budget


def test_a_deactivated_account_gets_no_link(worker, requester):
    requester.is_active = False
    requester.save()
    with worker():
        response = _reset(Client(), requester.email)
    assert response.status_code == 302
    assert mail.outbox == []


def test_an_account_without_a_password_chooses_one_through_the_link(worker, category):
    # Made by an anonymous submission: the reset link is how its owner claims it.
    Client().post(
        "/new/",
        {
            "title": "Printer",
            "description": "Jammed.",
            "urgency": "low",
            "category": category.pk,
            "email": "walk-in@example.com",
            "name": "Walk In",
        },
    )
    mail.outbox.clear()
    client = Client()
    with worker():
        _reset(client, "walk-in@example.com")

    _choose_password(client, _link(mail.outbox[0]))

    user = User.objects.get(email="walk-in@example.com")
    assert user.check_password(NEW)
    assert Client().login(username="walk-in@example.com", password=NEW)


def test_a_broken_or_forged_link_says_so(requester):
    response = Client().get("/accounts/reset/MQ/forged-token/", follow=True)
    assert response.status_code == 200
    assert not response.context["validlink"]
    assert b'href="/accounts/password/reset/"' in response.content


def test_a_redelivered_task_sends_one_email(requester):
    for _ in range(2):
        account_email_send(purpose=AccountEmail.PASSWORD_RESET, email=requester.email, cause="c1")
    assert Notification.objects.count() == 1


def test_with_the_broker_down_the_email_is_sent_from_the_request(
    requester, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(send_account_email, "delay", mock.Mock(side_effect=ConnectionError))
    monkeypatch.setattr(deliver_notification, "delay", deliver_notification)

    with django_capture_on_commit_callbacks(execute=True):
        response = _reset(Client(), requester.email)

    assert response.status_code == 302
    assert len(mail.outbox) == 1


# --- password change ------------------------------------------------------------------------------


def test_changing_the_password_keeps_this_session_and_ends_the_others(requester):
    token = api_token_create(user=requester)
    here, elsewhere = Client(), Client()
    here.login(username="requester", password=OLD)
    elsewhere.login(username="requester", password=OLD)

    response = here.post(
        "/accounts/password/change/",
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/done/"
    assert here.get("/accounts/profile/").status_code == 200
    assert elsewhere.get("/accounts/profile/").status_code == 302  # signed out
    requester.refresh_from_db()
    assert requester.check_password(NEW)
    assert not ApiToken.objects.exists(), token


def test_changing_the_password_needs_the_current_one(requester):
    client = Client()
    client.force_login(requester)

    response = client.post(
        "/accounts/password/change/",
        {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 400
    assert "old_password" in response.context["form"].errors
    requester.refresh_from_db()
    assert requester.check_password(OLD)


def test_a_weak_new_password_is_refused_with_a_message(requester):
    client = Client()
    client.force_login(requester)

    response = client.post(
        "/accounts/password/change/",
        {"old_password": OLD, "new_password1": "12345678", "new_password2": "12345678"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors


def test_the_change_page_needs_sign_in():
    response = Client().get("/accounts/password/change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- sign-up -------------------------------------------------------------------------------------


def test_sign_up_confirms_the_address_before_the_account_can_be_used(worker):
    client = Client()
    with worker():
        response = _sign_up(client, "Ana@Example.com")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/done/"
    user = User.objects.get(email="ana@example.com")
    assert (user.role, user.language, user.display_name) == (Role.REQUESTER, "es", "Nora")
    assert not user.has_usable_password()  # nothing to sign in with until the link is used
    (message,) = mail.outbox
    assert message.subject == "Confirme su dirección de correo y elija una contraseña"

    _choose_password(client, _link(message))

    assert client.get("/my/").status_code == 200
    assert Client().login(username="ana@example.com", password=NEW)


def test_sign_up_with_a_known_address_tells_its_holder_not_the_visitor(worker, requester):
    client = Client()
    with worker():
        known = _sign_up(client, requester.email.upper())
        new = _sign_up(client, "someone-new@example.com")

    assert (known.status_code, known["Location"]) == (new.status_code, new["Location"])
    to_holder = next(m for m in mail.outbox if m.to == [requester.email])
    assert to_holder.subject == "Ya tiene una cuenta"  # the holder's language
    assert "/accounts/login/" in to_holder.body
    assert LINK.search(to_holder.body)  # and a reset link
    requester.refresh_from_db()
    assert (requester.display_name, requester.check_password(OLD)) == ("Requester", True)
    assert User.objects.filter(email=requester.email).count() == 1


def test_sign_up_again_before_choosing_a_password_sends_a_new_link(worker):
    with worker():
        _sign_up(Client(), "ana@example.com")
        _sign_up(Client(), "ana@example.com")

    assert [m.subject for m in mail.outbox] == [
        "Confirme su dirección de correo y elija una contraseña"
    ] * 2
    assert User.objects.filter(email="ana@example.com").count() == 1


def test_sign_up_is_rate_limited_per_client_address(settings, worker):
    settings.HELPDESK_RATE_ACCOUNT_EMAILS = "2/3600"
    client = Client()
    with worker():
        codes = [_sign_up(client, f"n{i}@example.com").status_code for i in range(3)]
    assert codes == [302, 302, 429]
    assert User.objects.count() == 2


def test_wrong_current_passwords_on_the_change_page_count_towards_the_lockout(settings, requester):
    client = Client()
    client.force_login(requester)
    wrong = {"old_password": "guess", "new_password1": NEW, "new_password2": NEW}
    codes = [
        client.post("/accounts/password/change/", wrong).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    right = {"old_password": OLD, "new_password1": NEW, "new_password2": NEW}

    assert codes[:-1] == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    assert client.post("/accounts/password/change/", right).status_code == 429
    requester.refresh_from_db()
    assert requester.check_password(OLD)


# --- the API --------------------------------------------------------------------------------------


def test_the_api_changes_the_password_and_revokes_every_token(api, requester):
    client = api(requester)
    other = api_token_create(user=requester)

    response = client.post(
        "/api/auth/password/", {"old_password": OLD, "new_password": NEW}, format="json"
    )

    assert response.status_code == 204
    requester.refresh_from_db()
    assert requester.check_password(NEW)
    assert client.get("/api/me/").status_code == 401  # this request's token too
    assert not ApiToken.objects.exists(), other


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"old_password": "wrong", "new_password": NEW}, "old_password"),
        ({"old_password": OLD, "new_password": "12345678"}, "new_password"),
        ({"old_password": OLD}, "new_password"),
    ],
)
def test_the_api_refuses_a_bad_password_change_with_a_message(body, field, api, requester):
    response = api(requester).post("/api/auth/password/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    requester.refresh_from_db()
    assert requester.check_password(OLD)


def test_a_browser_session_stays_signed_in_after_an_api_password_change(requester):
    client = Client()
    client.force_login(requester)

    response = client.post(
        "/api/auth/password/",
        {"old_password": OLD, "new_password": NEW},
        content_type="application/json",
    )

    assert response.status_code == 204
    assert client.get("/api/me/").status_code == 200


# --- the holder is told ---------------------------------------------------------------------------


def test_a_password_change_is_notified_to_the_holder_in_their_language(worker, requester):
    client = Client()
    assert client.login(username="requester", password=OLD)

    with worker():
        client.post(
            "/accounts/password/change/",
            {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
        )

    (message,) = mail.outbox
    assert message.subject == "Su contraseña se ha cambiado"
    assert LINK.search(message.body)  # a link to take the account back


def test_an_admin_setting_a_password_also_tells_the_holder(worker, admin_client, requester):
    Client().login(username="requester", password=OLD)

    with worker():
        admin_client.post(
            f"/admin/accounts/user/{requester.pk}/password/",
            {"password1": NEW, "password2": NEW},
        )

    assert [m.to for m in mail.outbox] == [[requester.email]]


def test_a_first_password_is_not_news(worker):
    client = Client()
    with worker():
        _sign_up(client, "ana@example.com")
    (link_email,) = mail.outbox

    with worker():
        _choose_password(client, _link(link_email))

    assert len(mail.outbox) == 1
    assert not Notification.objects.filter(kind=NotificationKind.PASSWORD_CHANGED).exists()


def test_refused_sign_in_and_password_forms_answer_400_with_their_errors(worker, requester):
    # Django's views answered 200 to a refused form, which scripts and monitors read as success;
    # every other form of the app answers 400.
    client = Client()
    refused = client.post("/accounts/login/", {"username": "requester", "password": "wrong"})
    assert refused.status_code == 400
    assert refused.context["form"].non_field_errors()
    bad_address = client.post("/accounts/password/reset/", {"email": "nora@@example"})
    assert bad_address.status_code == 400
    assert "email" in bad_address.context["form"].errors

    with worker():
        _reset(client, requester.email)
    (message,) = mail.outbox
    form_page = client.get(_link(message), follow=True)
    mismatch = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW + "x"}
    )
    assert mismatch.status_code == 400
    assert "new_password2" in mismatch.context["form"].errors
    assert _choose_password(client, _link(message)).status_code == 302  # still usable

    wrong_old = client.post(
        "/accounts/password/change/",
        {"old_password": "not-it", "new_password1": OLD, "new_password2": OLD},
    )
    assert wrong_old.status_code == 400
    assert "old_password" in wrong_old.context["form"].errors
    requester.refresh_from_db()
    assert requester.check_password(NEW)  # nothing changed by the refused form
