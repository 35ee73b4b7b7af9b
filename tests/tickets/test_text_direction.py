"""User-written text takes its direction from its content: dir="auto" on titles, descriptions,
comments, names and the inputs people type into (issue 16 item 15)."""

import re

import pytest
from django.test import Client

from kb.models import Article, Visibility
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db

TITLE = "الشبكة الافتراضية لا تعمل"  # "the VPN does not work"
DESCRIPTION = "منذ الصباح"
REPLY = "אנחנו בודקים את זה"  # Hebrew: "we are checking it"


def tag_around(html: str, text: str) -> str:
    """The opening tag of the element of the page's body that directly holds `text`."""
    html = html.split("<body", 1)[-1]
    match = re.search(r"(<[a-z0-9]+\b[^>]*>)\s*" + re.escape(text), html)
    assert match, f"{text!r} not found"
    return match.group(1)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ticket(make_ticket, requester, agent_l1):
    requester.display_name = "ريم"
    requester.save(update_fields=["display_name"])
    ticket = make_ticket(Status.IN_DIAGNOSIS, title=TITLE)
    ticket = services.ticket_update(
        ticket=ticket, actor=agent_l1, description=DESCRIPTION, reason="…"
    )
    services.comment_create(ticket=ticket, actor=agent_l1, body=REPLY)
    return ticket


@pytest.mark.parametrize("persona", ["requester", "agent_l1"])
def test_the_ticket_page_lets_the_text_choose_its_direction(ticket, persona, request):
    html = client_for(request.getfixturevalue(persona)).get(f"/tickets/{ticket.pk}/")
    html = html.content.decode()

    for text in (TITLE, DESCRIPTION, REPLY):
        assert 'dir="auto"' in tag_around(html, text), text
    # The reply box too.
    assert re.search(r"<textarea[^>]*dir=\"auto\"[^>]*data-reply", html)


def test_lists_let_titles_and_names_choose_their_direction(ticket, requester, agent_l1):
    console = client_for(agent_l1).get("/console/").content.decode()
    mine = client_for(requester).get("/my/").content.decode()
    home = client_for(requester).get("/").content.decode()

    assert 'dir="auto"' in tag_around(console, TITLE)
    assert 'dir="auto"' in tag_around(console, "ريم")
    assert 'dir="auto"' in tag_around(mine, TITLE)
    assert 'dir="auto"' in tag_around(home, TITLE)


def test_every_text_input_and_textarea_takes_the_direction_of_what_is_typed(requester):
    html = client_for(requester).get("/new/").content.decode()

    for name in ("title", "description", "affected"):
        field = re.search(rf'<(input|textarea)[^>]*name="{name}"[^>]*>', html)
        assert field and 'dir="auto"' in field.group(0), name


def test_knowledge_base_articles_choose_their_direction(agent_l1):
    article = Article.objects.create(
        title="إعادة تعيين كلمة المرور",
        body="استخدم الرابط",
        visibility=Visibility.PUBLIC,
        language="en",
        author=agent_l1,
    )
    client = Client()

    listing = client.get("/kb/").content.decode()
    detail = client.get(f"/kb/{article.pk}/").content.decode()

    assert 'dir="auto"' in tag_around(listing, article.title)
    assert 'dir="auto"' in tag_around(detail, article.title)
    # The body is paragraphs inside one element that takes the direction.
    assert re.search(r'<div class="kb-body" dir="auto">\s*<p>' + re.escape(article.body), detail)
