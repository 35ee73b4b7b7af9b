"""Who sees the breach register: security officers write, managers read, everyone else 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from breaches import services
from tests.factories import TicketFactory
from tickets.selectors import tickets_visible_to

pytestmark = pytest.mark.django_db

PERSONAS = [
    "requester",
    "outsider",
    "agent_l1",
    "agent_l2",
    "agent_l3",
    "manager",
    "security_officer",
    None,
]
READERS = {"manager", "security_officer"}


def _persona(request, name):
    return request.getfixturevalue(name) if name else None


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("suffix", ["", "history/", "notes/", "evidence/"])
def test_api_read_endpoints(persona, suffix, breach, api, request):
    user = _persona(request, persona)

    response = api(user).get(f"/api/breaches/{breach.pk}/{suffix}")

    if user is None:
        assert response.status_code == 401
    elif persona in READERS:
        assert response.status_code == 200
    else:
        # The L1 agent who flagged it no longer sees the record; nobody learns it exists.
        assert response.status_code == 404
        assert response.json() == {"message": "Not found."}


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_list(persona, breach, api, request):
    user = _persona(request, persona)

    response = api(user).get("/api/breaches/")

    if user is None:
        assert response.status_code == 401
    elif persona in READERS:
        assert [row["id"] for row in response.json()] == [breach.pk]
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "path", ["/breaches/", "/breaches/{id}/", "/breaches/{id}/export/", "/breaches/register.csv"]
)
def test_html_pages(persona, path, breach, client: Client, request):
    user = _persona(request, persona)
    if user is not None:
        client.force_login(user)

    response = client.get(path.format(id=breach.pk))

    if user is None:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif persona in READERS:
        assert response.status_code == 200
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_evidence_download_is_access_checked(persona, breach, security_officer, client, request):
    [evidence] = services.breach_add_evidence(
        breach=breach,
        actor=security_officer,
        files=[SimpleUploadedFile("mail.txt", b"the leaked list", content_type="text/plain")],
    )
    user = _persona(request, persona)
    if user is not None:
        client.force_login(user)

    response = client.get(f"/breaches/{breach.pk}/evidence/{evidence.pk}/")

    if persona in READERS:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"the leaked list"
        assert response["Content-Disposition"].startswith("attachment;")
    else:
        assert response.status_code in (302, 404)


def test_evidence_of_another_breach_is_404(breach, security_officer, client):
    other = services.breach_create(actor=security_officer, title="Lost laptop")
    [evidence] = services.breach_add_evidence(
        breach=other, actor=security_officer, files=[SimpleUploadedFile("a.txt", b"x")]
    )
    client.force_login(security_officer)

    assert client.get(f"/breaches/{breach.pk}/evidence/{evidence.pk}/").status_code == 404


def test_manager_reads_but_cannot_change(breach, manager, api, client):
    response = api(manager).patch(f"/api/breaches/{breach.pk}/", {"risk_level": "high"}, "json")
    assert response.status_code == 403
    response = api(manager).post(f"/api/breaches/{breach.pk}/notes/", {"body": "x"}, "json")
    assert response.status_code == 403
    client.force_login(manager)
    assert client.get(f"/breaches/{breach.pk}/edit/").status_code == 403
    page = client.get(f"/breaches/{breach.pk}/").content.decode()
    assert "/edit/" not in page and "actions/note" not in page
    breach.refresh_from_db()
    assert breach.risk_level == "" and not breach.notes.exists()


def test_security_officer_changes_through_the_api(breach, security_officer, api):
    response = api(security_officer).patch(
        f"/api/breaches/{breach.pk}/", {"risk_level": "high", "subjects_approx": 120}, "json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["risk_level"] == "high"
    assert response.json()["subjects_approx"] == 120


def test_bad_input_is_a_400_not_a_500(breach, security_officer, api):
    client = api(security_officer)
    assert (
        client.patch(f"/api/breaches/{breach.pk}/", {"risk_level": "x"}, "json").status_code == 400
    )
    response = client.post(f"/api/breaches/{breach.pk}/not-notifying/", {"reason": " "}, "json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": ["Explain why the authority is not notified."]}


def test_security_officer_reads_only_tickets_linked_to_a_breach(
    breach, flagged_ticket, security_officer, api
):
    unlinked = TicketFactory()
    # A ticket linked to two breaches is listed once.
    second = services.breach_create(actor=security_officer, title="Second")
    services.breach_link_ticket(breach=second, actor=security_officer, ticket=flagged_ticket)

    visible = list(tickets_visible_to(user=security_officer))

    assert visible == [flagged_ticket]
    assert api(security_officer).get(f"/api/tickets/{flagged_ticket.pk}/").status_code == 200
    assert api(security_officer).get(f"/api/tickets/{unlinked.pk}/").status_code == 404


def test_officer_links_a_ticket_then_reads_it(breach, flagged_ticket, security_officer, api):
    other = TicketFactory()
    client = api(security_officer)
    assert client.get(f"/api/tickets/{other.pk}/").status_code == 404

    response = client.post(f"/api/breaches/{breach.pk}/link-ticket/", {"ticket": other.pk}, "json")

    assert response.status_code == 200
    assert {t["id"] for t in response.json()["tickets"]} == {flagged_ticket.pk, other.pk}
    assert client.get(f"/api/tickets/{other.pk}/").status_code == 200


@pytest.mark.parametrize("persona", PERSONAS)
def test_ticket_partial_shows_the_link_only_to_readers(persona, breach, flagged_ticket, request):
    user = _persona(request, persona)
    http_request = RequestFactory().get(f"/tickets/{flagged_ticket.pk}/")
    if user is None:
        from django.contrib.auth.models import AnonymousUser

        user = AnonymousUser()
    http_request.user = user

    html = render_to_string(
        "breaches/_ticket_breach.html",
        {"ticket": flagged_ticket, "user": user},
        request=http_request,
    )

    assert (f"/breaches/{breach.pk}/" in html) == (persona in READERS)
    assert (breach.reference in html) == (persona in READERS)
    if persona in {"agent_l1", "agent_l2", "agent_l3"}:
        assert "reported to the security officers" in html  # but not the record
    elif persona not in READERS:
        assert html.strip() == ""


def test_partial_offers_the_flag_form_to_agents_only(make_ticket, agent_l1, requester):
    ticket = make_ticket()
    http_request = RequestFactory().get("/")
    for user, expected in [(agent_l1, True), (requester, False)]:
        http_request.user = user
        html = render_to_string(
            "breaches/_ticket_breach.html", {"ticket": ticket, "user": user}, request=http_request
        )
        assert (f"/breaches/flag/{ticket.pk}/" in html) == expected


@pytest.mark.parametrize("query", [{"page_size": "5"}, {"cursor": "cD0x"}])
def test_api_list_is_given_whole_and_refuses_paging(query, breach, api, security_officer):
    # The register is answered whole: a cursor or a page size was taken silently, so a client
    # asking for pages of 5 got every record on each "page".
    response = api(security_officer).get("/api/breaches/", query)

    assert response.status_code == 400
    (name,) = query
    assert "is not a parameter of this list" in response.json()["errors"][name][0]
