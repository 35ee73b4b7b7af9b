"""Optional fields are marked "(optional)" by includes/field.html: a label that says it too
read "Comment (optional) (optional)" on the requester's rating form and "Why do you withdraw
it? (optional) (optional)" on the withdraw form, in both languages."""

import re

import pytest

from tickets.models import Status

pytestmark = pytest.mark.django_db

TWICE = re.compile(r"\((optional|opcional)\)\s*<small>\((optional|opcional)\)")


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("status", [Status.IN_DIAGNOSIS, Status.CLOSED])
def test_the_requester_page_says_optional_once(make_ticket, client, requester, language, status):
    requester.language = language
    requester.save(update_fields=["language"])
    ticket = make_ticket(status)
    client.force_login(requester)
    html = client.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    form = 'name="rating"' if status == Status.CLOSED else 'name="cancel-reason"'
    assert form in html
    marker = "opcional" if language == "es" else "optional"
    assert f"<small>({marker})</small>" in html
    assert not TWICE.search(html)
