"""A NUL character in a request (`%00` in the address, in a form field, in a header) is refused
with a 400 that says so: a page with the site's layout, in the user's language (it was a bare
line of text), and JSON with a message under /api/."""

import pytest
from django.test import Client

from escalation.models import SupportGroup

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_a_nul_in_a_query_parameter_is_the_sites_page_with_the_users_menu(client, manager):
    client.force_login(manager)
    html = _page(client.get("/escalation/groups/", {"q": "a\x00b"}))
    assert "The request was not sent" in html
    assert "The address contains a NUL character." in html
    assert "remove the invisible NUL character" in html
    assert manager.name in html  # the signed-in menu, not a visitor's


def test_a_nul_in_a_form_field_is_refused_in_the_users_language(client, manager):
    manager.language = "es"
    manager.save()
    client.force_login(manager)
    html = _page(client.post("/escalation/groups/new/", {"name": "Red\x00", "tier": "2"}))
    assert '<html lang="es"' in html
    assert "La petición contiene un carácter NUL." in html
    assert "quite el carácter NUL invisible" in html
    assert not SupportGroup.objects.filter(name__startswith="Red").exists()


def test_a_nul_in_a_header_is_a_page_too_without_reading_the_session(manager):
    client = Client()
    client.force_login(manager)
    html = _page(client.get("/escalation/groups/", HTTP_X_ANYTHING="a\x00b"))
    assert "The request contains a NUL character." in html
    html = _page(Client().get("/new/", HTTP_COOKIE="sessionid=a\x00"))
    assert "The request contains a NUL character." in html


def test_the_api_answers_json_with_a_message(api, manager):
    response = api(manager).get("/api/escalation/groups/", {"q": "\x00"})
    assert response.status_code == 400
    assert response.json() == {"message": "The address contains a NUL character."}
    response = api(manager).post("/api/escalation/groups/", {"name": "a\x00", "tier": "2"})
    assert response.status_code == 400
    assert response.json() == {"message": "The request contains a NUL character."}
