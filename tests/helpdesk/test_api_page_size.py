"""`?page_size=` on every paged API list: ASCII digits from 1 up, more than the most capped.

DRF read it with `int()`: `٣` (Arabic-Indic digits) was 3, and `abc`, `0` or `-5` answered a
page of the default size without a word (a script asking for no rows got 25)."""

import pytest

from helpdesk.api import PagedCursorPagination
from notifications.models import InAppNotification
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

PAGED_LISTS = ("/api/tickets/", "/api/notifications/")


@pytest.fixture
def three_of_each(requester):
    """Three tickets of the requester's and three notifications on their bell."""
    for n in range(3):
        ticket = TicketFactory(requester=requester)
        InAppNotification.objects.create(
            recipient=requester, kind="public_reply", ticket=ticket, dedupe_key=f"t:{n}"
        )


@pytest.mark.parametrize("path", PAGED_LISTS)
@pytest.mark.parametrize("size", ["٣", "３", "abc", "0", "-5", "2.5", "1e2", "+2", "00"])
def test_a_page_size_that_is_no_positive_ascii_number_is_a_400_naming_it(
    api, requester, three_of_each, path, size
):
    response = api(requester).get(path, {"page_size": size})

    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["page_size"]
    assert body["message"] == (
        "page_size must be a whole number of at least 1, in the digits 0-9 "
        "(a page holds at most 100 results)."
    )


@pytest.mark.parametrize("path", PAGED_LISTS)
def test_the_page_size_message_is_in_the_callers_language(api, requester, path):
    response = api(requester).get(path, {"page_size": "٣"}, HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    assert response.json()["message"].startswith("page_size debe ser un número entero")


@pytest.mark.parametrize("path", PAGED_LISTS)
@pytest.mark.parametrize(
    ("size", "rows"), [("1", 1), (" 01 ", 1), ("", 3), ("1000", 2), ("9" * 5000, 2)]
)
def test_a_good_page_size_pages_and_a_larger_one_is_capped_as_documented(
    api, requester, three_of_each, monkeypatch, path, size, rows
):
    # Pages of at most 2 rows: 1000 is capped to 2 (the next page holds the third), as it is
    # to 100 on a longer list; no page size is the default (25: all three).
    monkeypatch.setattr(PagedCursorPagination, "max_page_size", 2)

    body = api(requester).get(path, {"page_size": size}).json()

    assert len(body["results"]) == rows
    assert (body["next"] is None) == (rows == 3)


def test_the_schema_documents_the_page_size_and_its_cap(api, agent_l1):
    schema = api(agent_l1).get("/api/schema/", {"format": "json"}).json()
    for path in PAGED_LISTS:
        (parameter,) = [
            p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "page_size"
        ]
        assert parameter["schema"] == {"type": "integer", "minimum": 1}
        assert "More than 100 returns 100" in parameter["description"]
