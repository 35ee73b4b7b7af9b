"""Knowledge-base articles: who reads what, who writes, promotion from a ticket, the portal's
suggestions (public only for requesters and visitors) and their pinned query counts."""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb import services
from kb.models import Article, Language, Visibility
from tickets import services as ticket_services
from tickets.models import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(agent_l1, category):
    public = services.article_create(
        actor=agent_l1,
        title="How to reconnect the VPN",
        body="Open the VPN client and choose reconnect.",
        visibility=Visibility.PUBLIC,
        category=category,
    )
    public_es = services.article_create(
        actor=agent_l1,
        title="Cómo reconectar la VPN",
        body="Abra el cliente VPN y pulse reconectar.",
        language=Language.SPANISH,
        visibility=Visibility.PUBLIC,
    )
    internal = services.article_create(
        actor=agent_l1,
        title="VPN gateway restart procedure",
        body="SSH to vpn-gw-1 and restart the daemon. Admin password in the vault.",
        visibility=Visibility.INTERNAL,
    )
    return {"public": public, "public_es": public_es, "internal": internal}


def test_suggestions_for_a_visitor_are_public_articles_only(client, articles):
    response = client.get("/kb/suggest/", {"q": "vpn reconn"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "How to reconnect the VPN" in body
    assert "VPN gateway restart procedure" not in body


def test_suggestions_for_a_requester_are_public_articles_only(client, requester, articles):
    client.force_login(requester)
    body = client.get("/kb/suggest/", {"q": "VPN gateway"}).content.decode()
    assert "restart procedure" not in body
    assert "How to reconnect the VPN" in body


def test_suggestions_match_spanish_words_and_unfinished_last_word(client, articles):
    body = client.get("/kb/suggest/", {"q": "no puedo reconectar la vp"}).content.decode()
    assert "Cómo reconectar la VPN" in body


def test_suggestions_for_agents_include_internal_articles(client, agent_l1, articles):
    client.force_login(agent_l1)
    body = client.get("/kb/suggest/", {"q": "VPN gateway"}).content.decode()
    assert "VPN gateway restart procedure" in body


def test_suggestions_need_three_characters_and_return_nothing_otherwise(client, articles):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/kb/suggest/", {"q": "vp"})
    assert response.status_code == 200
    assert response.content.decode().strip() == ""
    assert len(ctx.captured_queries) == 0


def test_suggestion_query_counts_are_pinned(client, requester, agent_l1, articles):
    with CaptureQueriesContext(connection) as ctx:
        client.get("/kb/suggest/", {"q": "vpn"})
    # 1 the articles with their category (and its parent).
    assert len(ctx.captured_queries) == 1
    client.force_login(requester)
    with CaptureQueriesContext(connection) as ctx:
        client.get("/kb/suggest/", {"q": "vpn"})
    # 1 the session, 2 the user, 3 the articles with their categories.
    assert len(ctx.captured_queries) == 3
    for n in range(10):
        services.article_create(
            actor=agent_l1, title=f"VPN tip {n}", body="vpn", visibility=Visibility.PUBLIC
        )
    with CaptureQueriesContext(connection) as ctx:
        client.get("/kb/suggest/", {"q": "vpn"})
    assert len(ctx.captured_queries) == 3


def test_api_suggestions_are_public_for_anonymous_and_requesters(api, requester, articles):
    for user in (None, requester):
        response = api(user).get("/api/kb/suggest/", {"q": "vpn"})
        assert response.status_code == 200
        titles = {row["title"] for row in response.json()}
        assert "VPN gateway restart procedure" not in titles
        assert "How to reconnect the VPN" in titles


def test_api_article_list_hides_internal_articles_from_requesters(
    api, requester, agent_l1, articles
):
    response = api(requester).get("/api/kb/articles/")
    assert {row["id"] for row in response.json()} == {
        articles["public"].pk,
        articles["public_es"].pk,
    }
    response = api(agent_l1).get("/api/kb/articles/", {"q": "gateway"})
    assert [row["id"] for row in response.json()] == [articles["internal"].pk]


def test_internal_article_is_404_for_requesters_and_visitors(client, api, requester, articles):
    internal = articles["internal"]
    assert client.get(f"/kb/{internal.pk}/").status_code == 404
    client.force_login(requester)
    assert client.get(f"/kb/{internal.pk}/").status_code == 404
    assert api(requester).get(f"/api/kb/articles/{internal.pk}/").status_code == 404
    assert client.get(f"/kb/{articles['public'].pk}/").status_code == 200


def test_requesters_cannot_write_articles(client, api, requester):
    client.force_login(requester)
    assert client.get("/kb/new/").status_code == 403
    response = api(requester).post("/api/kb/articles/", {"title": "x", "body": "y"})
    assert response.status_code == 403
    assert not Article.objects.exists()


def test_agent_writes_and_edits_an_article_in_the_api(api, agent_l1, category):
    client = api(agent_l1)
    response = client.post(
        "/api/kb/articles/",
        {
            "title": "Printer jams",
            "body": "Open tray 2.",
            "visibility": "public",
            "category": category.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    article_id = response.json()["id"]
    response = client.patch(
        f"/api/kb/articles/{article_id}/", {"visibility": "internal"}, format="json"
    )
    assert response.status_code == 200
    assert Article.objects.get(pk=article_id).visibility == Visibility.INTERNAL
    bad = client.post("/api/kb/articles/", {"title": " ", "body": "x"}, format="json")
    assert bad.status_code == 400


def test_promote_a_resolved_ticket_prefills_its_resolution_not_its_notes(
    client, agent_l1, make_ticket
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    ticket_services.comment_create(
        ticket=ticket,
        actor=agent_l1,
        body="INTERNAL: the root password is hunter2",
        is_internal=True,
    )
    ticket = ticket_services.ticket_resolve(
        ticket=ticket, actor=agent_l1, summary="Restarted the VPN gateway.", code="fixed"
    )
    client.force_login(agent_l1)
    page = client.get(f"/kb/new/?from_ticket={ticket.pk}").content.decode()
    assert "Restarted the VPN gateway." in page
    assert "hunter2" not in page
    response = client.post(
        f"/kb/new/?from_ticket={ticket.pk}",
        {
            "title": "VPN down",
            "body": "Restart the gateway.",
            "language": "en",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    article = Article.objects.get()
    assert article.source_ticket_id == ticket.pk
    assert article.author == agent_l1


def test_an_open_ticket_cannot_be_promoted(agent_l1, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    from helpdesk.errors import DomainError

    with pytest.raises(DomainError):
        services.article_create(actor=agent_l1, title="x", body="y", source_ticket=ticket)


def test_promoting_someone_elses_ticket_is_404_for_a_requester(client, requester, make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    client.force_login(requester)
    # Requesters cannot write articles at all.
    assert client.get(f"/kb/new/?from_ticket={ticket.pk}").status_code == 403


def test_list_page_searches_public_articles(client, articles):
    body = client.get("/kb/", {"q": "reconnect"}).content.decode()
    assert "How to reconnect the VPN" in body
    assert "VPN gateway restart procedure" not in body


def test_a_long_search_or_an_unknown_language_still_searches(client, articles):
    """A search over 200 characters (a pasted error message) or a language the list does not
    offer made the form invalid, and the list then showed every article as if it matched."""
    long = client.get("/kb/", {"q": "reconnect " + "x" * 250}).content.decode()
    odd_language = client.get("/kb/", {"q": "reconnect", "language": "zz"}).content.decode()

    assert "How to reconnect the VPN" in long
    assert "Cómo reconectar la VPN" not in long
    assert "How to reconnect the VPN" in odd_language
    assert "Cómo reconectar la VPN" not in odd_language  # "reconnect" is not in it


@pytest.mark.parametrize(
    ("value", "status", "said"),
    [
        ("abc", 400, "The link's ticket “abc” is not a ticket number"),
        ("99999", 404, "No ticket number 99999 that you can read (the link may be old)"),
        ("99999999999999999999", 400, "is not a ticket number"),
    ],
)
def test_a_refused_ticket_to_promote_says_what_is_wrong(client, agent_l1, value, status, said):
    """`/kb/new/?from_ticket=abc` (or a ticket that is gone) answered a bare "page not found":
    the form is shown, empty, with why the link's ticket is refused; 400 for no number, 404
    for no such ticket."""
    client.force_login(agent_l1)

    response = client.get("/kb/new/", {"from_ticket": value})

    assert response.status_code == status
    page = html.unescape(" ".join(response.content.decode().split()))
    assert said in page and 'data-testid="refused-source"' in page
    assert 'name="title"' in page  # the form, to write the article from no ticket
    assert 'name="from_ticket"' not in page


def test_a_ticket_the_agent_may_not_read_is_no_such_ticket_and_in_spanish(
    client, agent_l1, requester, make_ticket
):
    other = make_ticket(Status.RESOLVED)
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    client.force_login(requester)  # a requester may not write at all
    assert client.get("/kb/new/", {"from_ticket": "abc"}).status_code == 403
    client.force_login(agent_l1)

    page = client.get("/kb/new/", {"from_ticket": "xyz"}).content.decode()

    assert "no es un número de incidencia" in page
    assert client.get("/kb/new/", {"from_ticket": str(other.pk + 1000)}).status_code == 404


def test_a_post_with_a_refused_ticket_is_not_saved_then_saves_from_no_ticket(client, agent_l1):
    client.force_login(agent_l1)
    form = {"title": "VPN down", "body": "Restart the gateway.", "language": "en"}
    form["visibility"] = "public"

    refused = client.post("/kb/new/?from_ticket=99999", form)

    assert refused.status_code == 404
    page = refused.content.decode()
    assert "Not saved yet: save again to keep it without a ticket." in page
    assert 'action="/kb/new/"' in page and "VPN down" in page  # the typed text stays
    assert not Article.objects.exists()
    assert client.post("/kb/new/", form).status_code == 302
    assert Article.objects.get().source_ticket_id is None


def test_the_list_says_when_articles_are_left_out(client, articles, monkeypatch):
    """Past 50 articles the rest of the list went without a word."""
    from kb import views

    monkeypatch.setattr(views, "LIST_LIMIT", 1)

    page = client.get("/kb/").content.decode()

    assert "The first 1 articles are shown: add words or choose a language" in page
    one = client.get("/kb/", {"q": "reconnect", "language": "en"}).content.decode()
    assert 'data-testid="kb-more"' not in one


@pytest.mark.parametrize("query", [{"page_size": "5"}, {"cursor": "cD0x"}])
def test_api_article_list_is_given_whole_and_refuses_paging(query, api, agent_l1, articles):
    # A cursor or a page size was taken silently: a client paging by 5 got every article.
    response = api(agent_l1).get("/api/kb/articles/", query)

    assert response.status_code == 400
    (name,) = query
    assert "is not a parameter of this list" in response.json()["errors"][name][0]
