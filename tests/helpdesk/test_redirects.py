"""Forms that go back where they were sent from (`next`): a value that is not a path of this site
goes to the form's default page. `redirect()` took "abc" for a view name: a 500 before."""

import pytest

from tickets.models import Status

pytestmark = pytest.mark.django_db

NOT_PATHS = ["abc", "🙂", "console", "https://evil.example/", "//evil.example/x"]


@pytest.mark.parametrize("target", NOT_PATHS)
def test_linking_a_related_ticket_goes_back_to_the_ticket(
    client_for, agent_l1, make_ticket, target
):
    ticket, related = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.IN_DIAGNOSIS)

    response = client_for(agent_l1).post(
        f"/kb/tickets/{ticket.pk}/link/", {"related": related.reference, "next": target}
    )

    assert (response.status_code, response["Location"]) == (302, f"/tickets/{ticket.pk}/")


@pytest.mark.parametrize("target", NOT_PATHS)
def test_marking_notifications_read_goes_back_to_the_inbox(client_for, agent_l1, target):
    response = client_for(agent_l1).post("/notifications/read-all/", {"next": target})

    assert (response.status_code, response["Location"]) == (302, "/notifications/")


@pytest.mark.parametrize("target", NOT_PATHS)
def test_a_bulk_take_goes_back_to_the_console(client_for, agent_l1, make_ticket, target):
    ticket = make_ticket(Status.PRIORITIZED)

    response = client_for(agent_l1).post(
        "/console/bulk/", {"action": "take", "ids": str(ticket.pk), "next": target}
    )

    assert (response.status_code, response["Location"]) == (302, "/console/")
    ticket.refresh_from_db()
    assert ticket.assignee == agent_l1


@pytest.mark.parametrize("target", NOT_PATHS)
def test_flagging_a_breach_goes_back_to_the_start(client_for, agent_l1, make_ticket, target):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    response = client_for(agent_l1).post(
        f"/breaches/flag/{ticket.pk}/", {"description": "A list mailed out", "next": target}
    )

    assert (response.status_code, response["Location"]) == (302, "/")


def test_a_path_of_this_site_is_kept(client_for, agent_l1):
    response = client_for(agent_l1).post("/notifications/read-all/", {"next": "/console/?queue=l1"})

    assert response["Location"] == "/console/?queue=l1"
