"""The console's search by a ticket's number ('123', '#123', 'INC-000123', 'INC 000123') finds
that ticket wherever it is: the queue's filters (its tier, "open") left a closed, solved or
escalated ticket out and the list said "No tickets match."."""

import pytest

from tickets.models import Status
from tickets.selectors import parse_reference

pytestmark = pytest.mark.django_db


def _number(ticket) -> str:
    return str(ticket.pk)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("INC-000123", 123),
        ("req-124", 124),
        ("#123", 123),
        (" 123 ", 123),
        ("INC 000123", 123),
        ("inc000123", 123),
        ("#INC-000123", 123),
        ("INC", None),
        ("incident 5", None),
        ("printer", None),
        ("12a", None),
        # The digits of the agent's keyboard: Arabic-Indic, full-width (an East Asian IME).
        ("INC-\u0661\u0662\u0663", 123),
        ("\uff03\uff11\uff12\uff13", 123),
        ("\uff29\uff2e\uff23\uff0d\uff10\uff11\uff12\uff13", 123),
        ("\u06f4\u06f2", 42),  # Persian
        ("\u00b2", None),  # a superscript is no digit of a number
        ("\u0661" * 19, None),  # no bigint holds it
    ],
)
def test_a_reference_is_read_as_people_type_it(text, expected):
    assert parse_reference(text) == expected


@pytest.mark.parametrize(
    "typed", ["{pk}", "#{pk}", "{ref}", "{ref_lower}", "{ref_spaced}", "{ref_joined}"]
)
def test_a_closed_ticket_is_found_by_its_number_from_the_open_queue(
    client_for, agent_l1, make_ticket, typed
):
    closed = make_ticket(Status.CLOSED, title="Old printer jam")
    make_ticket(Status.IN_DIAGNOSIS)
    ref = closed.reference
    query = typed.format(
        pk=closed.pk,
        ref=ref,
        ref_lower=ref.lower(),
        ref_spaced=ref.replace("-", " "),
        ref_joined=ref.replace("-", ""),
    )

    response = client_for(agent_l1).get("/console/", {"q": query})

    page = response.content.decode()
    hit = page.split('data-testid="reference-hit"')[1].split("</p>")[0]
    assert f"{ref} is not in this list:" in hit
    assert f'href="/tickets/{closed.pk}/"' in hit and "Old printer jam" in hit
    assert "Closed" in hit


def test_the_hit_is_in_the_htmx_results_too_and_in_spanish(client_for, agent_l1, make_ticket):
    escalated = make_ticket(Status.ESCALATED)  # now in L2's queue, not L1's
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    response = client_for(agent_l1).get(
        "/console/",
        {"q": f"#{escalated.pk}", "queue": "l1"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="results",
    )
    assert f"{escalated.reference} no está en esta lista:" in response.content.decode()


def test_the_hit_comes_first_also_when_the_ticket_is_in_the_list(client_for, agent_l1, make_ticket):
    # The rows may hold many titles containing the number: the ticket it names is named first,
    # its link the first stop of Tab and of the cursor (j), with no "not in this list".
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    page = client_for(agent_l1).get("/console/", {"q": ticket.reference}).content.decode()
    assert f'data-ticket="{ticket.pk}"' in page
    hit = page.split('data-testid="reference-hit"')[1].split("</p>")[0]
    assert f"Ticket {ticket.reference}:" in hit and "not in this list" not in hit
    assert f'data-href="/tickets/{ticket.pk}/"' in hit
    assert page.index("reference-hit") < page.index('data-testid="queue"')


def _titled_with_number(make_ticket, named) -> list:
    return [
        make_ticket(Status.IN_DIAGNOSIS, title=f"Error {named.pk} on intranet"),
        make_ticket(Status.PRIORITIZED, title=f"Port {named.pk}0 closed"),
    ]


@pytest.mark.parametrize("typed", ["{pk}", "#{pk}"])
def test_a_number_lists_the_titles_containing_it_beside_the_ticket_it_names(
    client_for, agent_l1, make_ticket, typed
):
    named = make_ticket(Status.CLOSED, title="Old printer jam")
    make_ticket(Status.IN_DIAGNOSIS, title="Unrelated")
    titled = _titled_with_number(make_ticket, named)

    page = client_for(agent_l1).get("/console/", {"q": typed.format(pk=named.pk)})

    html = page.content.decode()
    hit = html.split('data-testid="reference-hit"')[1].split("</p>")[0]
    assert f"{named.reference} is not in this list:" in hit  # closed: not in the open queue
    rows = html.split('data-testid="queue"')[1]
    found = [int(part.split('"')[0]) for part in rows.split('data-ticket="')[1:]]
    assert found == [titled[1].pk, titled[0].pk]  # newest first, as any search
    assert "Unrelated" not in rows


def test_a_number_that_names_no_ticket_still_lists_the_titles(client_for, agent_l1, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS, title="Error 987654 on intranet")
    page = client_for(agent_l1).get("/console/", {"q": "987654"}).content.decode()
    assert f'data-ticket="{ticket.pk}"' in page
    assert "reference-hit" not in page


def test_the_hit_on_a_later_page_is_not_said_to_be_out_of_the_list(
    client_for, agent_l1, make_ticket, monkeypatch
):
    from tickets.views import console_queue

    monkeypatch.setattr(console_queue, "PAGE_SIZE", 1)
    named = make_ticket(Status.IN_DIAGNOSIS, title="Old printer jam")
    _titled_with_number(make_ticket, named)
    page = client_for(agent_l1).get("/console/", {"q": str(named.pk)}).content.decode()
    hit = page.split('data-testid="reference-hit"')[1].split("</p>")[0]
    assert f"Ticket {named.reference}:" in hit


def test_the_api_finds_the_ticket_and_the_titles_containing_its_number(api, agent_l1, make_ticket):
    named = make_ticket(Status.IN_DIAGNOSIS, title="Old printer jam")
    make_ticket(Status.IN_DIAGNOSIS, title="Unrelated")
    titled = _titled_with_number(make_ticket, named)
    for typed in (str(named.pk), f"#{named.pk}"):
        response = api(agent_l1).get("/api/tickets/", {"q": typed})
        assert response.status_code == 200
        ids = [row["id"] for row in response.json()["results"]]
        assert ids == [titled[1].pk, titled[0].pk, named.pk], typed


def test_a_ticket_the_agent_cannot_read_is_not_revealed(client_for, agent_l2, make_ticket):
    # L2 agents read their own queue (and what they hold), not L1's.
    at_l1 = make_ticket(Status.PRIORITIZED)
    for query in (str(at_l1.pk), at_l1.reference, "999999"):
        page = client_for(agent_l2).get("/console/", {"q": query}).content.decode()
        assert "reference-hit" not in page
        assert "No tickets match." in page


def test_a_hit_is_never_shared_with_a_viewer_who_cannot_read_it(client_for, agent_l2, make_ticket):
    # The rows block is shared between viewers of the same role and tiers (console_queue's
    # `shared_results`): an L2 agent reads a ticket of L1's they hold, another L2 agent does not.
    from escalation.models import Tier
    from tests.factories import AgentFactory
    from tickets.models import Ticket

    ticket = make_ticket(Status.IN_DIAGNOSIS)
    Ticket.objects.filter(pk=ticket.pk).update(tier=Tier.L1, assignee=agent_l2)
    other = AgentFactory(username="agent_l2_other", tier=Tier.L2)
    query = {"q": ticket.reference, "queue": "l2"}

    assert "reference-hit" in client_for(agent_l2).get("/console/", query).content.decode()
    page = client_for(other).get("/console/", query).content.decode()
    assert "reference-hit" not in page and ticket.title not in page


def test_a_title_search_costs_no_extra_query(
    client_for, agent_l1, make_ticket, django_assert_max_num_queries
):
    make_ticket(Status.CLOSED, title="Printer jam")
    client = client_for(agent_l1)
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
    # session, user, tiers, the page, its SLA clocks (as test_views_console pins it)
    with django_assert_max_num_queries(5):
        client.get("/console/", {"q": "printer"}, **headers)
    # A number not in the list: and the ticket by its number, through the gate.
    ticket = make_ticket(Status.CLOSED)
    with django_assert_max_num_queries(6):
        client.get("/console/", {"q": str(ticket.pk)}, **headers)


@pytest.mark.parametrize(
    "digits",
    [
        str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"),
        str.maketrans("0123456789", "０１２３４５６７８９"),
    ],
)
def test_a_number_typed_in_other_digits_finds_that_ticket(
    client_for, agent_l1, make_ticket, digits
):
    """Arabic-Indic or full-width digits in the search box searched the titles for them and
    found nothing: they name the ticket as ASCII digits do."""
    wanted = make_ticket(Status.IN_DIAGNOSIS, title="Payroll export fails")
    make_ticket(Status.IN_DIAGNOSIS, title="Other")

    response = client_for(agent_l1).get("/console/", {"q": wanted.reference.translate(digits)})

    hit = response.content.decode().split('data-testid="reference-hit"')[1].split("</p>")[0]
    assert f'href="/tickets/{wanted.pk}/"' in hit and "Payroll export fails" in hit
