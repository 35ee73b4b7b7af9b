"""Sign-up, the profile page and the language switcher."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_sign_up_creates_a_requester_who_chooses_a_password_by_the_emailed_link(worker):
    client = Client()

    with worker():
        response = client.post(
            "/accounts/signup/",
            {"name": "Nora", "email": "Nora@Example.com", "language": "es"},
        )

    assert response.status_code == 302
    user = User.objects.get(email="nora@example.com")
    assert (user.role, user.language, user.display_name) == (Role.REQUESTER, "es", "Nora")
    (message,) = mail.outbox
    link = re.search(r"/accounts/reset/[\w-]+/[\w-]+/", message.body).group()
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-long-pass-phrase", "new_password2": "a-long-pass-phrase"},
    )
    assert client.get("/my/").status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"language": "fr"}, "language"),
        ({"name": ""}, "name"),
    ],
)
def test_sign_up_errors_are_shown_and_nothing_is_created(data, field, requester):
    before = User.objects.count()
    payload = {"name": "N", "email": "new@example.com", "language": "en"}

    response = Client().post("/accounts/signup/", {**payload, **data})

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert User.objects.count() == before


def test_profile_saves_language_and_time_zone(requester):
    client = Client()
    client.force_login(requester)

    response = client.post("/accounts/profile/", {"language": "es", "time_zone": "Europe/Madrid"})

    assert response.status_code == 302
    requester.refresh_from_db()
    assert (requester.language, requester.time_zone) == ("es", "Europe/Madrid")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = client.get("/accounts/profile/").content.decode()
    assert 'lang="es"' in page
    assert "Europe/Madrid" in page


def test_profile_rejects_an_unknown_time_zone(requester):
    client = Client()
    client.force_login(requester)

    response = client.post("/accounts/profile/", {"language": "es", "time_zone": "Mars/Olympus"})

    # A 400, as every other refused form: scripts and tests that check the status saw success.
    assert response.status_code == 400
    assert "time_zone" in response.context["form"].errors
    requester.refresh_from_db()
    assert (requester.language, requester.time_zone) == ("en", "UTC")


def test_language_switch_is_remembered_on_the_user(requester):
    client = Client()
    client.force_login(requester)

    response = client.post("/accounts/language/", {"language": "es", "next": "/my/"})

    assert response.status_code == 302
    assert response["Location"] == "/my/"
    requester.refresh_from_db()
    assert requester.language == "es"
    assert 'lang="es"' in client.get("/my/").content.decode()


def test_language_switch_for_visitors_uses_the_cookie():
    client = Client()

    client.post("/accounts/language/", {"language": "es", "next": "/accounts/login/"})

    assert 'lang="es"' in client.get("/accounts/login/").content.decode()


def test_profile_needs_sign_in():
    response = Client().get("/accounts/profile/")

    assert response.status_code == 302
