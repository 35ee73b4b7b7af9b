"""Two agents edit the same article: the second save no longer silently replaces the first's
text; it is a 409 with the second agent's text kept, and saving again replaces on purpose."""

import re

import pytest
from django.test import Client

from kb import services
from kb.models import Article, Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(agent_l1) -> Article:
    return services.article_create(
        actor=agent_l1,
        title="Reset a password",
        body="Open the portal and choose 'Forgot password'.",
        visibility=Visibility.PUBLIC,
    )


def _form(client, article: Article) -> dict[str, str]:
    page = client.get(f"/kb/{article.pk}/edit/").content.decode()
    loaded_at = re.search(r'name="loaded_at" value="([^"]+)"', page)
    assert loaded_at, "the edit form carries when the article was loaded"
    return {
        "title": article.title,
        "body": article.body,
        "language": article.language,
        "visibility": article.visibility,
        "loaded_at": loaded_at[1],
    }


def test_a_colleagues_save_since_the_page_opened_is_a_conflict_not_overwritten(
    client, agent_l1, agent_l2, article
):
    client.force_login(agent_l2)
    mine = _form(client, article)
    services.article_update(article=article, actor=agent_l1, body="Colleague's better steps.")

    response = client.post(
        f"/kb/{article.pk}/edit/", {**mine, "body": "My steps, typed for ten minutes."}
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this article" in page
    assert "My steps, typed for ten minutes." in page  # the typed text is kept
    article.refresh_from_db()
    assert article.body == "Colleague's better steps."

    # Saving again (the form now carries their version) replaces it, on purpose.
    again = re.search(r'name="loaded_at" value="([^"]+)"', page)
    response = client.post(
        f"/kb/{article.pk}/edit/",
        {**mine, "body": "My steps, typed for ten minutes.", "loaded_at": again[1]},
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == "My steps, typed for ten minutes."


def test_an_edit_without_a_colleagues_save_goes_through(client, agent_l2, article):
    client.force_login(agent_l2)
    response = client.post(f"/kb/{article.pk}/edit/", {**_form(client, article), "title": "New"})

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "New"


def test_a_tampered_loaded_at_is_a_form_error_not_a_500(client, agent_l2, article):
    client.force_login(agent_l2)
    response = client.post(
        f"/kb/{article.pk}/edit/", {**_form(client, article), "loaded_at": "yesterday\x01"}
    )

    assert response.status_code == 400
    assert "out of date" in response.content.decode()


def test_a_second_click_on_save_is_not_a_conflict_with_oneself(client, agent_l2, article):
    """With the conflict check, the second of two quick clicks would have read as "someone
    else saved this article": the form's key makes it the first save's answer instead."""
    client.force_login(agent_l2)
    page = client.get(f"/kb/{article.pk}/edit/").content.decode()
    assert 'name="idempotency_key"' in page
    form = {
        **_form(client, article),
        "body": "Clearer steps.",
        "idempotency_key": "6f1d2a3b-7c8e-4f90-a1b2-c3d4e5f60718",
    }

    first = client.post(f"/kb/{article.pk}/edit/", form)
    second = client.post(f"/kb/{article.pk}/edit/", form)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == f"/kb/{article.pk}/"


def test_a_second_click_on_a_new_article_saves_one(client, agent_l2):
    client.force_login(agent_l2)
    form = {
        "title": "Map a network drive",
        "body": "Open Explorer, then This PC, then Map network drive.",
        "language": "en",
        "visibility": "public",
        "idempotency_key": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    }

    client.post("/kb/new/", form)
    client.post("/kb/new/", form)

    assert Article.objects.filter(title="Map a network drive").count() == 1


def test_the_api_refuses_a_patch_against_an_older_read_with_if_match(
    api, agent_l1, agent_l2, article
):
    mine = api(agent_l2)
    read = mine.get(f"/api/kb/articles/{article.pk}/").json()["updated_at"]
    services.article_update(article=article, actor=agent_l1, body="Colleague's better steps.")

    stale = mine.patch(
        f"/api/kb/articles/{article.pk}/",
        {"body": "My steps."},
        format="json",
        HTTP_IF_MATCH=f'"{read}"',
    )

    assert stale.status_code == 409
    article.refresh_from_db()
    assert article.body == "Colleague's better steps."
    fresh = mine.get(f"/api/kb/articles/{article.pk}/").json()["updated_at"]
    ok = mine.patch(
        f"/api/kb/articles/{article.pk}/", {"body": "My steps."}, format="json", HTTP_IF_MATCH=fresh
    )
    assert ok.status_code == 200
    bad = mine.patch(
        f"/api/kb/articles/{article.pk}/", {"body": "x"}, format="json", HTTP_IF_MATCH="yesterday"
    )
    assert bad.status_code == 400 and "If-Match" in bad.json()["message"]


def test_an_untouched_form_saves_nothing_and_is_no_conflict_later(
    api, client, agent_l1, agent_l2, article
):
    """A multi-line body written through the API ("\\n") comes back from the browser's form as
    "\\r\\n": the untouched form saved a new version, and a colleague who had opened the article
    before got "someone else saved this article" for nothing."""
    written = api(agent_l1).patch(
        f"/api/kb/articles/{article.pk}/", {"body": "Step one.\nStep two."}, format="json"
    )
    assert written.status_code == 200
    article.refresh_from_db()
    saved_at = article.updated_at
    client.force_login(agent_l2)
    colleague = Client()
    colleague.force_login(agent_l1)
    theirs = _form(colleague, article)

    untouched = {**_form(client, article), "body": "Step one.\r\nStep two."}
    assert client.post(f"/kb/{article.pk}/edit/", untouched).status_code == 302
    article.refresh_from_db()
    assert article.updated_at == saved_at and article.body == "Step one.\nStep two."

    response = colleague.post(f"/kb/{article.pk}/edit/", {**theirs, "title": "Reset it"})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "Reset it"


def test_line_breaks_are_stored_as_one_newline(client, agent_l2, article):
    client.force_login(agent_l2)
    form = {**_form(client, article), "body": "One.\r\nTwo.\rThree."}
    assert client.post(f"/kb/{article.pk}/edit/", form).status_code == 302
    article.refresh_from_db()
    assert article.body == "One.\nTwo.\nThree."


def test_an_edit_sent_after_signing_out_comes_back_after_signing_in(
    client, agent_l1, agent_l2, article
):
    """Signed out in another tab (or timed out) while editing: Save led to the login page, then
    to the article's form as it was, the edit lost without a word. Now it is kept for the
    sign-in, with the version it was written against: a colleague's save meanwhile is still
    a conflict."""
    client.force_login(agent_l2)
    mine = {**_form(client, article), "body": "My steps, typed for ten minutes."}
    client.logout()
    services.article_update(article=article, actor=agent_l1, body="Colleague's better steps.")

    response = client.post(f"/kb/{article.pk}/edit/", mine, follow=True)
    assert response.redirect_chain[-1][0] == f"/accounts/login/?next=/kb/{article.pk}/edit/"
    assert "this form was not sent" in response.content.decode()

    client.force_login(agent_l2)  # Django's login keeps the anonymous session's data
    page = client.get(f"/kb/{article.pk}/edit/").content.decode()
    assert "My steps, typed for ten minutes.</textarea>" in page
    assert "What you wrote was not sent yet" in page
    assert f'name="loaded_at" value="{mine["loaded_at"]}"' in page
    assert client.post(f"/kb/{article.pk}/edit/", mine).status_code == 409
    assert "ten minutes" not in client.get(f"/kb/{article.pk}/edit/").content.decode()  # once


def test_a_new_article_sent_after_signing_out_comes_back_after_signing_in(client, agent_l1):
    typed = {"title": "Printer jams", "body": "Open tray 2.", "language": "en"}
    client.post("/kb/new/", {**typed, "visibility": "public"})
    assert not Article.objects.exists()
    client.force_login(agent_l1)
    page = client.get("/kb/new/").content.decode()
    assert 'value="Printer jams"' in page
    assert "Open tray 2.</textarea>" in page
