"""API tokens (issue 17.2): named, listed, revocable, expiring; revoked by a password change or a
deactivation; last use recorded at most once a minute; revocation effective on the next request."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, User
from accounts.services import api_token_create, api_token_issue
from tests.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

PASSWORD = "right-password-123"


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _exchange(username: str = "requester", name: str = "") -> str:
    body = {"username": username, "password": PASSWORD}
    if name:
        body["name"] = name
    response = APIClient().post("/api/auth/token/", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def requester(requester):
    requester.set_password(PASSWORD)
    requester.save()
    return requester


# --- revoking -----------------------------------------------------------------------------------


def test_delete_on_the_token_endpoint_revokes_the_token_used(requester):
    key = _exchange()
    other = _exchange()
    client = _client(key)
    assert client.get("/api/me/").status_code == 200

    response = client.delete("/api/auth/token/")

    assert response.status_code == 204
    assert client.get("/api/me/").status_code == 401  # the very next request
    assert _client(other).get("/api/me/").status_code == 200  # only that one


def test_delete_on_the_token_endpoint_needs_a_token():
    assert APIClient().delete("/api/auth/token/").status_code == 401
    assert _client("not-a-token").delete("/api/auth/token/").status_code == 401


def test_tokens_are_named_and_listed_for_their_owner_only(requester, other_requester):
    key = _exchange(name="backup script")
    api_token_create(user=other_requester, name="theirs")
    client = _client(key)
    created = client.post("/api/auth/tokens/", {"name": "  CI   runner "}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["current"]) == ("CI runner", False)
    assert body["token"].startswith(body["prefix"])

    listed = client.get("/api/auth/tokens/").json()

    assert [(t["name"], t["current"]) for t in listed] == [
        ("CI runner", False),
        ("backup script", True),
    ]
    assert all("token" not in t and "key_hash" not in t for t in listed)
    assert _client(body["token"]).get("/api/me/").json()["username"] == "requester"


def test_an_owner_revokes_one_token_by_id_and_cannot_touch_anyone_elses(requester, other_requester):
    key = _exchange()
    spare, spare_key = api_token_issue(user=requester, name="spare")
    theirs, theirs_key = api_token_issue(user=other_requester, name="theirs")
    client = _client(key)

    assert client.delete(f"/api/auth/tokens/{theirs.pk}/").status_code == 404
    assert client.delete(f"/api/auth/tokens/{spare.pk}/").status_code == 204
    assert client.delete(f"/api/auth/tokens/{spare.pk}/").status_code == 404

    assert _client(spare_key).get("/api/me/").status_code == 401
    assert _client(theirs_key).get("/api/me/").status_code == 200
    assert client.get("/api/me/").status_code == 200


def test_creating_a_token_needs_a_name(api, requester):
    response = api(requester).post("/api/auth/tokens/", {"name": ""}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()["errors"]


# --- expiry -------------------------------------------------------------------------------------


def test_tokens_expire_after_the_configured_days(settings, requester):
    settings.HELPDESK_TOKEN_TTL_DAYS = 30
    key = _exchange()
    token = ApiToken.objects.get()
    assert token.expires_at is not None
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)

    with time_machine.travel(timezone.now() + timedelta(days=29)):
        assert _client(key).get("/api/me/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1)):
        assert _client(key).get("/api/me/").status_code == 401


def test_a_user_may_ask_for_a_shorter_life_but_not_a_longer_one(settings, api, requester):
    settings.HELPDESK_TOKEN_TTL_DAYS = 30
    client = api(requester)

    short = client.post("/api/auth/tokens/", {"name": "a", "expires_in_days": 7}, format="json")
    long = client.post("/api/auth/tokens/", {"name": "b", "expires_in_days": 31}, format="json")

    assert short.status_code == 201
    assert long.status_code == 400
    assert "expires_in_days" in long.json()["errors"]


def test_the_password_exchange_takes_a_life_in_days_too(requester):
    # It was not a field of POST /api/auth/token/: asking for a day's token silently gave one
    # that never expires.
    body = {"username": "requester", "password": PASSWORD, "expires_in_days": 1}
    response = APIClient().post("/api/auth/token/", body, format="json")

    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert token.expires_at is not None
    assert abs(token.expires_at - (timezone.now() + timedelta(days=1))) < timedelta(minutes=1)
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert _client(response.json()["token"]).get("/api/me/").status_code == 401

    refused = APIClient().post(
        "/api/auth/token/",
        {**body, "expires_in_days": 0},
        format="json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"expires_in_days": ["Un token dura entre 1 y 3650 días."]}
    assert ApiToken.objects.count() == 1


def test_without_a_ttl_tokens_last_until_revoked(api, requester):
    api(requester)
    assert ApiToken.objects.get().expires_at is None


# --- last use -----------------------------------------------------------------------------------


def _me_queries(key: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert _client(key).get("/api/me/").status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_last_use_is_written_at_most_once_a_minute(requester):
    key = api_token_create(user=requester)
    start = timezone.now()

    # Its very first use is written at once (one conditional UPDATE in the token's life)...
    first_use = _me_queries(key)
    assert [sql for sql in first_use if sql.startswith("UPDATE")] != []
    assert ApiToken.objects.get().last_used_at is not None
    # ...and the requests of the next minute cost no write (most requests cost none).
    reads = _me_queries(key)
    assert not any(sql.startswith("UPDATE") for sql in reads)
    assert len(first_use) == len(reads) + 1

    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        first = _me_queries(key)
        second = _me_queries(key)
    # One conditional UPDATE on the first request of the minute, none on the next.
    assert [sql for sql in first if sql.startswith("UPDATE")] != []
    assert len(first) == len(reads) + 1
    assert len(second) == len(reads)
    assert ApiToken.objects.get().last_used_at == start + timedelta(minutes=2)

    with time_machine.travel(start + timedelta(minutes=2, seconds=50), tick=False):
        _me_queries(key)
    assert ApiToken.objects.get().last_used_at == start + timedelta(minutes=2)
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        _me_queries(key)
    assert ApiToken.objects.get().last_used_at == start + timedelta(minutes=4)


def test_a_token_used_only_in_its_first_minute_is_listed_as_used(requester):
    """Made, tried once with curl, then looked at: it read "never" until a use a minute later."""
    client = Client()
    client.force_login(requester)
    token, key = api_token_issue(user=requester, name="tried once")
    with time_machine.travel(token.created_at + timedelta(seconds=20), tick=False):
        assert _client(key).get("/api/me/").status_code == 200
    used = ApiToken.objects.get(pk=token.pk).last_used_at
    assert used == token.created_at + timedelta(seconds=20)

    page = client.get("/accounts/profile/").content.decode()
    row = page[page.index("tried once") :]
    cell = row[row.index('data-label="Last used">') :]
    assert "never" not in cell[: cell.index("</td>")]
    listed = client.get("/api/auth/tokens/").json()
    assert listed[0]["last_used_at"] is not None


# --- a password change or a deactivation revokes every token ----------------------------------


def test_a_new_password_revokes_every_token(requester, other_requester):
    keys = [_exchange(), _exchange()]
    theirs = api_token_create(user=other_requester)

    requester.set_password("another-password-456")
    requester.save()

    assert [_client(key).get("/api/me/").status_code for key in keys] == [401, 401]
    assert not ApiToken.objects.filter(user=requester).exists()
    assert _client(theirs).get("/api/me/").status_code == 200


def test_the_admins_password_form_revokes_every_token(admin_client, requester):
    key = _exchange()

    response = admin_client.post(
        f"/admin/accounts/user/{requester.pk}/password/",
        {"password1": "another-password-456", "password2": "another-password-456"},
    )

    assert response.status_code == 302
    assert _client(key).get("/api/me/").status_code == 401


def test_changepassword_command_revokes_every_token(requester, monkeypatch):
    key = _exchange()
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "another-password-456")

    call_command("changepassword", "requester", stdout=None)

    assert _client(key).get("/api/me/").status_code == 401


def test_a_rehash_on_sign_in_is_not_a_password_change(settings, requester):
    key = _exchange()
    # A hasher upgrade: Django re-hashes the password when the user next signs in.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    before = User.objects.get(pk=requester.pk).password

    assert Client().post("/accounts/login/", {"username": "requester", "password": PASSWORD})
    assert User.objects.get(pk=requester.pk).password != before  # re-hashed
    assert _client(key).get("/api/me/").status_code == 200


def test_an_admin_deactivation_revokes_every_token(admin_client, requester):
    key = _exchange()
    url = f"/admin/accounts/user/{requester.pk}/change/"
    data = admin_form_data(admin_client, url)
    del data["is_active"]  # the box unticked

    assert admin_client.post(url, data).status_code == 302

    requester.refresh_from_db()
    assert not requester.is_active
    assert not ApiToken.objects.filter(user=requester).exists()
    requester.is_active = True
    requester.save()
    assert _client(key).get("/api/me/").status_code == 401  # reactivation brings none back


def test_other_admin_edits_keep_the_tokens(admin_client, requester):
    key = _exchange()
    url = f"/admin/accounts/user/{requester.pk}/change/"
    data = {**admin_form_data(admin_client, url), "display_name": "Renamed"}

    assert admin_client.post(url, data).status_code == 302

    assert _client(key).get("/api/me/").status_code == 200


# --- the profile page -----------------------------------------------------------------------------


def test_the_profile_page_lists_creates_and_revokes_tokens(requester, other_requester):
    theirs, _key = api_token_issue(user=other_requester, name="theirs")
    old, old_key = api_token_issue(user=requester, name="old laptop")
    client = Client()
    client.force_login(requester)

    page = client.get("/accounts/profile/").content.decode()
    assert "old laptop" in page and old.prefix in page and "theirs" not in page

    created = client.post("/accounts/profile/tokens/", {"name": "cron job", "expires_in_days": 5})
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    new = ApiToken.objects.get(name="cron job")
    key = created.context["new_key"]
    assert key.startswith(new.prefix) and key in created.content.decode()
    assert new.expires_at is not None
    assert _client(key).get("/api/me/").status_code == 200
    assert key not in client.get("/accounts/profile/").content.decode()  # shown once

    assert client.post(f"/accounts/profile/tokens/{theirs.pk}/revoke/").status_code == 404
    revoke = f"/accounts/profile/tokens/{old.pk}/revoke/"
    assert client.post(revoke, {"confirm": "1"}).status_code == 302
    assert _client(old_key).get("/api/me/").status_code == 401
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_the_profile_token_form_shows_its_errors(settings, requester):
    settings.HELPDESK_TOKEN_TTL_DAYS = 10
    client = Client()
    client.force_login(requester)

    response = client.post("/accounts/profile/tokens/", {"name": "x", "expires_in_days": 11})

    assert response.status_code == 400
    assert "expires_in_days" in response.context["token_form"].errors
    assert not ApiToken.objects.exists()


def test_a_ttl_set_later_also_ends_older_tokens(settings, requester):
    key = api_token_create(user=requester)  # no TTL yet: no expiry of its own
    settings.HELPDESK_TOKEN_TTL_DAYS = 7

    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert _client(key).get("/api/me/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = _client(key).get("/api/me/")
        assert response.status_code == 401
    listed = APIClient()
    listed.force_authenticate(requester)
    (row,) = listed.get("/api/auth/tokens/").json()
    assert row["expires_at"] is not None


def test_the_token_list_is_two_queries_whatever_its_length(requester):
    key = api_token_create(user=requester)
    client = _client(key)
    # The token's first use, recorded once by an UPDATE, before the budget (a request's in use).
    assert client.get("/api/me/").status_code == 200

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/auth/tokens/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(5):
        api_token_issue(user=requester, name=f"t{n}")
    # 1 the token with its user, 2 the user's tokens.
    assert few == count() == 2


def test_the_profile_page_cost_does_not_grow_with_the_tokens(requester):
    client = Client()
    client.force_login(requester)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/accounts/profile/").status_code == 200
        return len(ctx.captured_queries)

    api_token_issue(user=requester, name="one")
    few = count()
    for n in range(5):
        api_token_issue(user=requester, name=f"t{n}")
    # 1 the session, 2 its user, 3 the user's tokens.
    assert few == count() == 3


# --- the lookup on every API request ------------------------------------------------------------


def test_the_lookup_loads_the_token_and_its_whole_user_in_one_query(requester):
    from accounts.authentication import token_with_user
    from accounts.models import api_token_hash

    key = api_token_create(user=requester, name="laptop")
    expected = ApiToken.objects.select_related("user").get(key_hash=api_token_hash(key))
    with CaptureQueriesContext(connection) as ctx:
        token = token_with_user(api_token_hash(key))
        assert token is not None
        user = token.user  # already loaded
    assert len(ctx.captured_queries) == 1
    for model, got, want in ((ApiToken, token, expected), (User, user, expected.user)):
        for field in model._meta.concrete_fields:
            assert getattr(got, field.attname) == getattr(want, field.attname), field.name
        assert not got._state.adding
        assert got._state.db == "default"
    assert user == requester
    assert token_with_user(api_token_hash("not-a-token")) is None


def test_a_token_of_a_deactivated_user_is_refused_on_the_next_request(requester):
    key = api_token_create(user=requester)
    client = _client(key)
    assert client.get("/api/tickets/").status_code == 200
    User.objects.filter(pk=requester.pk).update(is_active=False)  # tokens kept: the check is live
    assert client.get("/api/tickets/").status_code == 401
    assert _client("wrong-key").get("/api/tickets/").status_code == 401


def test_a_reload_or_double_click_of_the_new_token_form_makes_one_token(requester):
    """The answer that shows the new key is not a redirect: reloading it (or a second click)
    sent the form again and made a second token whose key nobody saw. The form's idempotency
    key is spent: the second submission makes nothing and says what happened."""
    client = Client()
    client.force_login(requester)
    page = client.get("/accounts/profile/").content.decode()
    form_key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    sent = {"name": "cron job", "idempotency_key": form_key}

    first = client.post("/accounts/profile/tokens/", sent)
    again = client.post("/accounts/profile/tokens/", sent)

    assert first.status_code == 200 and first.context["new_key"]
    assert again.status_code == 302 and again["Location"] == "/accounts/profile/#api-tokens"
    assert ApiToken.objects.filter(user=requester).count() == 1
    shown = [str(m) for m in get_messages(again.wsgi_request)]
    assert any("already sent" in text for text in shown)
    # A refused form frees its key: corrected, the same form creates the token.
    refused = client.post(
        "/accounts/profile/tokens/",
        {"name": "x", "expires_in_days": 0, "idempotency_key": "other-key"},
    )
    assert refused.status_code == 400
    fixed = client.post(
        "/accounts/profile/tokens/",
        {"name": "x", "expires_in_days": 3, "idempotency_key": "other-key"},
    )
    assert fixed.status_code == 200 and fixed.context["new_key"]


def test_a_right_to_left_override_in_a_token_name_stays_inside_the_created_message(requester):
    """An unclosed U+202E in the name reversed the rest of the message: "Copy it now: it will not
    be shown again." read backwards. The name is isolated (FSI … PDI)."""
    client = Client()
    client.force_login(requester)

    response = client.post("/accounts/profile/tokens/", {"name": "\u202eabc script"})

    assert response.status_code == 200
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Token “\u2068\u202eabc script\u2069” created.")


@pytest.mark.parametrize("language", ["en", "es"])
def test_revoke_from_the_list_asks_first(requester, other_requester, language):
    """One click on a row's Revoke revoked the token at once: every script using it failed from
    its next request. The button now leads to a page that names the token and asks."""
    requester.language = language
    requester.save(update_fields=["language"])
    client = Client()
    client.force_login(requester)
    token, _key = api_token_issue(user=requester, name="nightly backup")
    theirs, _ = api_token_issue(user=other_requester)

    answer = client.post(f"/accounts/profile/tokens/{token.pk}/revoke/")

    assert answer.status_code == 200
    page = answer.content.decode()
    assert "<bdi>nightly backup</bdi>" in page and token.prefix in page
    assert 'name="confirm" value="1"' in page
    assert {"en": "Revoke the API token", "es": "Revocar el token de API"}[language] in page
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert client.post(f"/accounts/profile/tokens/{theirs.pk}/revoke/").status_code == 404
    assert (
        client.post(f"/accounts/profile/tokens/{token.pk}/revoke/", {"confirm": "1"})["Location"]
        == "/accounts/profile/"
    )
    assert not ApiToken.objects.filter(pk=token.pk).exists()
