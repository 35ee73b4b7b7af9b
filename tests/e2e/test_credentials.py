"""Credentials in a browser (issue 17): sign up, confirm by the emailed link, forget the password
and reset it, then manage API tokens on the profile page — in English and in Spanish."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.tasks import send_account_email
from notifications.tasks import deliver_notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://\S+?(/accounts/reset/[\w-]+/[\w-]+/)")


@pytest.fixture(autouse=True)
def _worker_in_process(monkeypatch):
    """The live server's request commits for real: run the worker's tasks in process."""
    monkeypatch.setattr(send_account_email, "delay", send_account_email)
    monkeypatch.setattr(deliver_notification, "delay", deliver_notification)


def _emailed_link(live_server) -> str:
    path = LINK.search(mail.outbox[-1].body).group(1)  # type: ignore[union-attr]
    return f"{live_server.url}{path}"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            {
                "forgot": "Forgot your password?",
                "inbox": "Check your inbox",
                "create": "Create token",
            },
        ),
        (
            "es",
            {
                "forgot": "¿Ha olvidado su contraseña?",
                "inbox": "Revise su bandeja de entrada",
                "create": "Crear token",
            },
        ),
    ],
)
def test_sign_up_reset_and_tokens_in_a_browser(browser, live_server, language, words):
    context = browser.new_context(locale=language, extra_http_headers={"Accept-Language": language})
    context.set_default_timeout(10_000)
    page = context.new_page()
    address = f"nora-{language}@example.com"

    # Sign up: the page answers "check your inbox"; the link chooses the password.
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("main input[name=name]", "Nora")
    page.fill("main input[name=email]", address.upper())
    page.select_option("main select[name=language]", language)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/signup/done/"))
    assert words["inbox"] in page.content()
    page.goto(_emailed_link(live_server))
    page.fill("main input[name=new_password1]", "first-pass-phrase-1")
    page.fill("main input[name=new_password2]", "first-pass-phrase-1")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/reset/done/"))

    # Signed out, password forgotten: from the sign-in page to a new password.
    context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.click(f"text={words['forgot']}")
    page.fill("main input[name=email]", address)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/password/reset/done/"))
    assert words["inbox"] in page.content()
    page.goto(_emailed_link(live_server))
    page.fill("main input[name=new_password1]", "second-pass-phrase-2")
    page.fill("main input[name=new_password2]", "second-pass-phrase-2")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/reset/done/"))

    # An API token from the profile page: shown once, listed, revoked.
    page.goto(f"{live_server.url}/accounts/profile/")
    page.fill("main input[name=name]", "backup script")
    page.click(f"button:has-text('{words['create']}')")
    key = page.input_value("#new-token-key")
    assert len(key) == 40
    assert "backup script" in page.locator("#api-tokens table").inner_text()
    page.goto(f"{live_server.url}/accounts/profile/")
    # The revoke posts and comes back to this same address: waiting for the URL would end at
    # once, before the POST; wait for the page it redirects to instead.
    page.locator("#api-tokens table button[type=submit]").click()
    # It asks first (one slip revoked it at once), on a page of its own.
    confirm = page.locator("[data-testid=token-confirm-revoke]")
    expect(confirm).to_contain_text("backup script")
    with page.expect_navigation():
        confirm.locator("button[type=submit]").click()
    assert page.locator("#api-tokens table").count() == 0
    context.close()
