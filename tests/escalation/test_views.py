"""The escalation pages and the ticket page's escalation forms (HTML)."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalation.models import OnCallShift, RoutingRule, ScheduledCall, SupportGroup, Tier
from escalation.services import call_schedule
from tests.factories import AgentFactory, CategoryFactory
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_group_list_query_count_is_pinned(login, manager):
    web = login(manager)
    for n in range(2):
        group = SupportGroup.objects.create(name=f"G{n}", tier=Tier.L2)
        group.members.add(AgentFactory(tier=Tier.L2))
    few = _count(web, "/escalation/groups/")
    for n in range(5):
        group = SupportGroup.objects.create(name=f"H{n}", tier=Tier.L3, lead=AgentFactory())
        group.members.add(AgentFactory(tier=Tier.L3), AgentFactory(tier=Tier.L3))
    # 1 session, 2 user, 3 groups with their leads, 4 their members (prefetch)
    assert few == _count(web, "/escalation/groups/") == 4


def test_rota_query_count_is_pinned(login, manager, agent_l3):
    web = login(manager)
    now = timezone.now()
    for n in range(6):
        OnCallShift.objects.create(
            agent=AgentFactory(tier=Tier.L3),
            starts_at=now + timedelta(hours=8 * n),
            ends_at=now + timedelta(hours=8 * n + 8),
        )
    OnCallShift.objects.create(
        agent=agent_l3, starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1)
    )

    response = web.get("/escalation/rota/")
    assert agent_l3.name not in response.content.decode()  # a past shift is not listed
    # 1 session, 2 user, 3 the agents on call now, 4 upcoming shifts with their agents
    assert _count(web, "/escalation/rota/") == 4


def test_rule_list_query_count_is_pinned(login, agent_l1):
    web = login(agent_l1)
    group = SupportGroup.objects.create(name="Net", tier=Tier.L2)
    for n in range(6):
        RoutingRule.objects.create(
            name=f"R{n}",
            category=CategoryFactory(parent=CategoryFactory()),
            target_tier=Tier.L2,
            target_group=group,
        )
    # 1 session, 2 user, 3 rules with category (+ parent) and group
    assert _count(web, "/escalation/rules/") == 3


def test_only_managers_open_the_edit_forms(login, agent_l1, requester, manager):
    for user, code in ((requester, 403), (agent_l1, 403), (manager, 200)):
        web = login(user)
        for url in ("/escalation/groups/new/", "/escalation/rota/new/", "/escalation/rules/new/"):
            assert web.get(url).status_code == code, (user, url)
    assert login(requester).get("/escalation/rules/").status_code == 403


def test_a_manager_creates_a_shift_and_a_bad_one_shows_a_form_error(
    login, manager, agent_l3, agent_l1
):
    web = login(manager)
    start = timezone.localtime() + timedelta(days=1)
    data = {
        "agent": agent_l3.pk,
        "tier": 3,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
    }

    assert web.post("/escalation/rota/new/", data).status_code == 302
    bad = web.post("/escalation/rota/new/", {**data, "agent": agent_l1.pk})
    assert bad.status_code == 200
    assert "is not an agent of" in bad.content.decode()
    assert OnCallShift.objects.count() == 1


def test_a_manager_creates_and_edits_a_rule(login, manager):
    web = login(manager)
    response = web.post(
        "/escalation/rules/new/",
        {
            "name": "Req to L2",
            "position": 5,
            "is_active": "on",
            "kind": "service_request",
            "target_tier": 2,
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    response = web.post(
        f"/escalation/rules/{rule.pk}/", {"name": "Req to L3", "position": 5, "target_tier": 3}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.target_tier, rule.is_active) == ("Req to L3", Tier.L3, False)
    no_target = web.post("/escalation/rules/new/", {"name": "x", "position": 1})
    assert no_target.status_code == 200 and RoutingRule.objects.count() == 1


def test_ticket_actions_redirect_back_with_a_message(
    login, make_ticket, agent_l1, agent_l2, manager
):
    ticket = services.ticket_take(ticket=make_ticket(Status.ESCALATED), actor=agent_l2)
    web = login(agent_l2)

    refused = web.post(f"/escalation/tickets/{ticket.pk}/deescalate/", {"reason": ""})
    assert refused.status_code == 302 and refused["Location"] == f"/tickets/{ticket.pk}/"
    assert [m.level_tag for m in get_messages(refused.wsgi_request)] == ["error"]

    raised = web.post(f"/escalation/tickets/{ticket.pk}/raise/", {"reason": "VIP"})
    assert raised.status_code == 302
    assert [m.level_tag for m in get_messages(raised.wsgi_request)][-1] == "success"

    done = web.post(f"/escalation/tickets/{ticket.pk}/deescalate/", {"reason": "L1 can do it"})
    assert done.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.status) == (Tier.L1, Status.ESCALATED)

    # Now at L1: agent_l2 may not even read it.
    assert web.post(f"/escalation/tickets/{ticket.pk}/raise/", {"reason": "x"}).status_code == 404


def test_an_l1_agent_scheduling_a_call_gets_a_message_not_an_error_page(
    login, make_ticket, agent_l1
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    start = timezone.localtime() + timedelta(days=1)

    response = login(agent_l1).post(
        f"/escalation/tickets/{ticket.pk}/calls/",
        {
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": 30,
            "medium": "phone",
            "link_or_number": "+34 600",
        },
    )

    assert response.status_code == 302
    (message,) = get_messages(response.wsgi_request)
    assert "Only L2 and L3" in str(message)
    assert not ScheduledCall.objects.exists()


def _render(user, ticket, tag):
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load escalation_tags %}{% " + tag + " ticket %}")
    return template.render(Context({"request": request, "ticket": ticket}))


def test_partials_show_the_right_forms_and_hide_call_notes_from_the_requester(
    make_ticket, agent_l2, requester
):
    ticket = services.ticket_take(ticket=make_ticket(Status.ESCALATED), actor=agent_l2)
    call_schedule(
        ticket=ticket,
        actor=agent_l2,
        starts_at=timezone.now() + timedelta(days=1),
        duration_minutes=30,
        medium="video",
        link_or_number="https://meet.example.com/x",
        notes="INTERNAL-NOTE",
    )

    agent_actions = _render(agent_l2, ticket, "escalation_ticket_actions")
    assert f"/escalation/tickets/{ticket.pk}/deescalate/" in agent_actions
    assert f"/escalation/tickets/{ticket.pk}/calls/" in agent_actions
    assert _render(requester, ticket, "escalation_ticket_actions").strip() == ""

    agent_calls = _render(agent_l2, ticket, "escalation_calls")
    requester_calls = _render(requester, ticket, "escalation_calls")
    assert "INTERNAL-NOTE" in agent_calls and "reschedule" in agent_calls
    assert "https://meet.example.com/x" in requester_calls
    assert "INTERNAL-NOTE" not in requester_calls and "reschedule" not in requester_calls


@pytest.mark.parametrize(
    ("when", "link", "field", "message"),
    [
        (-timedelta(hours=1), "+34 600 000 000", "starts_at", "The call must be in the future."),
        (timedelta(days=1), "", "link_or_number", "This field is required."),
    ],
)
def test_a_call_form_with_a_mistake_comes_back_with_its_errors_and_what_was_typed(
    login, make_ticket, agent_l2, when, link, field, message
):
    ticket = make_ticket(Status.ESCALATED)
    web = login(agent_l2)
    web.post(f"/tickets/{ticket.pk}/do/take/", {})
    start = (timezone.localtime() + when).strftime("%Y-%m-%dT%H:%M")

    response = web.post(
        f"/escalation/tickets/{ticket.pk}/calls/",
        {
            "starts_at": start,
            "duration_minutes": 45,
            "medium": "phone",
            "link_or_number": link,
            "notes": "Customer prefers mornings",
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    form = page[page.index('data-testid="call-form"') :]
    form = form[: form.index("</form>")]
    assert message in form
    assert f'value="{start}"' in form and "Customer prefers mornings" in form
    assert response.context["call_form"].errors[field] == [message]
    assert "<details open>" in page[: page.index('data-testid="call-form"')][-300:]
    assert not ScheduledCall.objects.exists()
