"""The escalation pages and the ticket page's escalation forms (HTML)."""

import re
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
from notifications.models import Notification
from tests.factories import AgentFactory, CategoryFactory
from tickets import services
from tickets.models import Status, TicketEvent

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
    assert bad.status_code == 400
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
    assert no_target.status_code == 400 and RoutingRule.objects.count() == 1


def test_a_rule_position_past_the_bound_is_a_form_error_that_keeps_the_rule(login, manager):
    # 2**40 reached the database and came back as a bare 400 page: the rule typed was lost.
    response = login(manager).post(
        "/escalation/rules/new/",
        {"name": "Huge", "position": str(2**40), "is_active": "on", "target_tier": 2},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 1000000." in page
    assert 'value="Huge"' in page
    assert not RoutingRule.objects.exists()


def test_ticket_actions_redirect_back_with_a_message_when_done(login, make_ticket, agent_l2):
    ticket = services.ticket_take(ticket=make_ticket(Status.ESCALATED), actor=agent_l2)
    other_l2 = AgentFactory(tier=Tier.L2)
    web = login(agent_l2)

    raised = web.post(f"/escalation/tickets/{ticket.pk}/raise/", {"reason": "VIP"})
    assert raised.status_code == 302 and raised["Location"] == f"/tickets/{ticket.pk}/"
    assert [m.level_tag for m in get_messages(raised.wsgi_request)][-1] == "success"

    reassigned = web.post(
        f"/escalation/tickets/{ticket.pk}/reassign/",
        {"assignee": other_l2.pk, "reason": "Knows this customer"},
    )
    assert reassigned.status_code == 302 and reassigned["Location"] == f"/tickets/{ticket.pk}/"
    ticket.refresh_from_db()
    assert ticket.assignee == other_l2

    done = web.post(f"/escalation/tickets/{ticket.pk}/deescalate/", {"reason": "L1 can do it"})
    assert done.status_code == 302 and done["Location"] == f"/tickets/{ticket.pk}/"
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.status) == (Tier.L1, Status.ESCALATED)

    # Now at L1: agent_l2 may not even read it.
    assert web.post(f"/escalation/tickets/{ticket.pk}/raise/", {"reason": "x"}).status_code == 404


# What an agent typed, with what HTML would take for markup: the page must show it escaped.
TYPED = 'Customer <b>VIP</b> & "angry" since Monday; '
TYPED_ESCAPED = "Customer &lt;b&gt;VIP&lt;/b&gt; &amp; &quot;angry&quot; since Monday; "


def _form_html(page: str, testid: str) -> str:
    """The form `data-testid=testid` of the page, with the 300 characters before it."""
    start = page.index(f'data-testid="{testid}"')
    return page[max(0, start - 300) : page.index("</form>", start)]


def _state(ticket):
    """What a refused action must leave as it was."""
    ticket.refresh_from_db()
    return (
        ticket.status,
        ticket.tier,
        ticket.assignee_id,
        TicketEvent.objects.filter(ticket=ticket).count(),
        Notification.objects.count(),
    )


@pytest.fixture
def l2_ticket(make_ticket, agent_l2):
    """Escalated to L2 and taken by agent_l2."""
    return services.ticket_take(ticket=make_ticket(Status.ESCALATED), actor=agent_l2)


TOO_LONG = "At most 2000 characters"


@pytest.mark.parametrize(
    ("action", "who", "status", "reason", "assignee", "code", "error"),
    [
        # Bad input: a 400, the error beside the field.
        ("raise", "agent_l2", Status.ESCALATED, TYPED * 50, None, 400, TOO_LONG),
        ("deescalate", "agent_l2", Status.ESCALATED, TYPED * 50, None, 400, TOO_LONG),
        ("reassign", "agent_l2", Status.ESCALATED, TYPED * 50, "other", 400, TOO_LONG),
        ("reassign", "agent_l2", Status.ESCALATED, TYPED, "agent_l1", 400, "not an agent of L2"),
        ("reassign", "agent_l2", Status.ESCALATED, TYPED, "agent_l2", 400, "already assigned"),
        # The ticket's state is the reason: a 409, the text still there.
        ("deescalate", "agent_l1", Status.IN_DIAGNOSIS, TYPED, None, 409, "lowest tier"),
        ("raise", "agent_l1", Status.CLOSED, TYPED, None, 409, "while the ticket is Closed"),
        ("reassign", "agent_l1", Status.RESOLVED, TYPED, "other", 409, "ticket is Resolved"),
    ],
)
def test_a_refused_ticket_action_shows_the_form_again_with_what_was_typed(
    request, login, make_ticket, agent_l2, action, who, status, reason, assignee, code, error
):
    ticket = make_ticket(status)
    if status == Status.ESCALATED:
        ticket = services.ticket_take(ticket=ticket, actor=agent_l2)
    data = {"reason": reason}
    if assignee == "other":  # an agent of the ticket's tier, who could take it
        data["assignee"] = AgentFactory(tier=ticket.tier).pk
    elif assignee:
        data["assignee"] = request.getfixturevalue(assignee).pk
    before = _state(ticket)

    response = login(request.getfixturevalue(who)).post(
        f"/escalation/tickets/{ticket.pk}/{action}/", data
    )

    assert response.status_code == code
    page = response.content.decode()
    form = _form_html(page, f"{action}-form")
    assert "<details open>" in form  # the panel of the form sent back is open
    assert f'<label for="{action}-reason"' in form and f'id="{action}-reason"' in form
    assert TYPED_ESCAPED in form and "<b>VIP</b>" not in page
    assert error in (form if code == 400 else page)  # a 400's error is beside its field
    assert _state(ticket) == before  # nothing written: no event, no notification


def test_the_error_and_the_form_are_in_the_agents_language(login, l2_ticket, agent_l2, agent_l1):
    agent_l2.language = "es"
    agent_l2.save(update_fields=["language"])

    response = login(agent_l2).post(
        f"/escalation/tickets/{l2_ticket.pk}/reassign/",
        {"assignee": agent_l1.pk, "reason": TYPED},
    )

    assert response.status_code == 400
    form = _form_html(response.content.decode(), "reassign-form")
    assert "Agent_L1 no es agente de L2" in form and TYPED_ESCAPED in form
    assert "Motivo (interno)" in form


def test_an_agent_who_may_not_act_keeps_the_text_with_the_reason(login, l2_ticket, agent_l1):
    """agent_l1 reads the L2 ticket but does not work on it: a 403, the page, not an error page."""
    before = _state(l2_ticket)

    response = login(agent_l1).post(f"/escalation/tickets/{l2_ticket.pk}/raise/", {"reason": TYPED})

    assert response.status_code == 403
    page = response.content.decode()
    assert "Only agents of L2 technical can work on this ticket." in page
    assert TYPED_ESCAPED in _form_html(page, "raise-form")
    assert _state(l2_ticket) == before


@pytest.mark.parametrize("action", ["raise", "deescalate", "reassign", "calls"])
def test_a_requester_never_gets_the_escalation_forms(
    login, l2_ticket, requester, other_requester, agent_l2, action
):
    before = _state(l2_ticket)
    data = {"reason": TYPED, "assignee": agent_l2.pk, "link_or_number": "x"}
    url = f"/escalation/tickets/{l2_ticket.pk}/{action}/"

    own = login(requester).post(url, data)
    stranger = login(other_requester).post(url, data)

    assert (own.status_code, stranger.status_code) == (403, 404)
    for response in (own, stranger):
        assert TYPED_ESCAPED not in response.content.decode()
        assert f'data-testid="{action}-form"' not in response.content.decode()
    assert _state(l2_ticket) == before


def test_the_escalation_forms_of_the_page_have_distinct_ids(login, l2_ticket, agent_l2):
    call_schedule(
        ticket=l2_ticket,
        actor=agent_l2,
        starts_at=timezone.now() + timedelta(days=1),
        duration_minutes=30,
        medium="phone",
        link_or_number="+34 600 000 000",
    )
    AgentFactory(tier=Tier.L2)  # someone to reassign to: the reassign form is shown
    # One form sent back among new ones.
    response = login(agent_l2).post(
        f"/escalation/tickets/{l2_ticket.pk}/raise/", {"reason": "x" * 2001}
    )
    page = response.content.decode()

    for testid in (
        "deescalate-form",
        "reassign-form",
        "raise-form",
        "call-form",
        "call-reschedule-form",
        "call-cancel-form",
    ):
        assert f'data-testid="{testid}"' in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    for target in re.findall(r'<label for="([^"]+)"', page):
        assert target in ids, target  # every label names a field of the page


def _a_call(ticket, agent):
    return call_schedule(
        ticket=ticket,
        actor=agent,
        starts_at=timezone.now() + timedelta(days=1),
        duration_minutes=30,
        medium="phone",
        link_or_number="+34 600 000 000",
    )


def test_a_call_reschedule_with_a_mistake_comes_back_with_what_was_typed(
    login, l2_ticket, agent_l2
):
    call = _a_call(l2_ticket, agent_l2)
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    response = login(agent_l2).post(
        f"/escalation/tickets/{l2_ticket.pk}/calls/{call.pk}/reschedule/",
        {
            "starts_at": past,
            "duration_minutes": 45,
            "medium": "video",
            "link_or_number": "https://meet.example.com/new",
            "notes": TYPED,
        },
    )

    assert response.status_code == 400
    form = _form_html(response.content.decode(), "call-reschedule-form")
    assert "<details open>" in form and "The call must be in the future." in form
    assert f'value="{past}"' in form and TYPED_ESCAPED in form
    assert 'value="https://meet.example.com/new"' in form
    assert _form_html(response.content.decode(), "call-reschedule-form").count("errorlist") == 1
    call.refresh_from_db()
    assert (call.sequence, call.duration_minutes) == (0, 30)


def test_cancelling_a_call_twice_says_so(login, l2_ticket, agent_l2):
    call = _a_call(l2_ticket, agent_l2)
    web = login(agent_l2)
    url = f"/escalation/tickets/{l2_ticket.pk}/calls/{call.pk}/cancel/"
    assert web.post(url, {"reason": "Solved by email"}).status_code == 302

    again = web.post(url, {"reason": "Solved by email"})

    assert again.status_code == 409
    assert "This call was cancelled." in again.content.decode()


def test_a_call_of_another_ticket_is_not_found(login, l2_ticket, make_ticket, agent_l2):
    other = services.ticket_take(ticket=make_ticket(Status.ESCALATED), actor=agent_l2)
    call = _a_call(other, agent_l2)

    response = login(agent_l2).post(
        f"/escalation/tickets/{l2_ticket.pk}/calls/{call.pk}/cancel/", {"reason": "x"}
    )

    assert response.status_code == 404
    call.refresh_from_db()
    assert not call.is_cancelled


def test_an_l1_agent_scheduling_a_call_gets_the_page_with_the_reason_and_the_form(
    login, make_ticket, agent_l1
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    start = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    response = login(agent_l1).post(
        f"/escalation/tickets/{ticket.pk}/calls/",
        {
            "starts_at": start,
            "duration_minutes": 30,
            "medium": "phone",
            "link_or_number": "+34 600",
        },
    )

    assert response.status_code == 403
    page = response.content.decode()
    assert "Only L2 and L3" in page
    assert f'value="{start}"' in _form_html(page, "call-form")
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


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("raise", {"reason": TYPED}),
        ("deescalate", {"reason": TYPED}),
        ("calls", {"link_or_number": "https://meet.example/x", "notes": TYPED}),
    ],
)
def test_an_action_on_a_ticket_that_left_the_agents_tier_gives_the_text_back(
    login, make_ticket, agent_l2, action, data
):
    """A colleague escalated the ticket to L3 while the L2 agent wrote: still a 404, the same
    whether the ticket exists or not, with the text given back and nothing written."""
    colleague = AgentFactory(username="colleague", tier=Tier.L2)
    ticket = services.ticket_take(ticket=make_ticket(Status.ESCALATED), actor=colleague)
    services.ticket_escalate(ticket=ticket, actor=colleague, reason="Needs the DBA team")
    before = _state(ticket)
    client = login(agent_l2)

    gone = client.post(f"/escalation/tickets/{ticket.pk}/{action}/", data)
    missing = client.post(f"/escalation/tickets/999999/{action}/", data)

    assert gone.status_code == missing.status_code == 404
    for response, number in ((gone, ticket.pk), (missing, 999999)):
        body = response.content.decode()
        assert TYPED_ESCAPED in body
        assert f"Ticket #{number} does not exist or is not one you can read now" in body
    assert ticket.title not in gone.content.decode()
    assert "Needs the DBA team" not in gone.content.decode()
    assert _state(ticket) == before
    assert client.post(f"/escalation/tickets/{ticket.pk}/{action}/", {}).status_code == 404


def test_a_shift_or_rule_deleted_twice_is_done_not_a_missing_page(
    login, manager, agent_l3, agent_l1
):
    """A second click on Delete, or a rota page loaded before a colleague deleted the shift,
    showed the site's "We can't find that page … the ticket is not yours to see"."""
    start = timezone.now() + timedelta(days=1)
    shift = OnCallShift.objects.create(
        agent=agent_l3, tier=Tier.L3, starts_at=start, ends_at=start + timedelta(hours=8)
    )
    rule = RoutingRule.objects.create(name="Req to L2", position=5, target_tier=Tier.L2)
    web = login(manager)

    for url, back, done in (
        (
            f"/escalation/rota/{shift.pk}/delete/",
            "/escalation/rota/",
            "The shift was already deleted.",
        ),
        (
            f"/escalation/rules/{rule.pk}/delete/",
            "/escalation/rules/",
            "The rule was already deleted.",
        ),
    ):
        assert web.post(url).status_code == 302
        again = web.post(url)

        assert again.status_code == 302 and again["Location"] == back
        assert [str(m) for m in get_messages(again.wsgi_request)][-1] == done
    assert not OnCallShift.objects.exists() and not RoutingRule.objects.exists()
    # Still managers only, whether the row exists or not.
    assert login(agent_l1).post(f"/escalation/rota/{shift.pk}/delete/").status_code == 403


def test_a_member_id_of_20_digits_is_a_form_error(login, manager):
    """No agent has it: the form says so (a 500 on the embedded SQLite before; that backend is
    exercised by tests/helpdesk/test_embedded_sqlite.py)."""
    data = {"name": "Network", "tier": "2", "members": ["9" * 20], "lead": "9" * 20}
    response = login(manager).post("/escalation/groups/new/", data)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"members", "lead"}
    assert not SupportGroup.objects.filter(name="Network").exists()


def test_the_admin_list_refuses_a_rule_position_past_the_pages_bound(manager_admin_client):
    rule = RoutingRule.objects.create(name="VPN", position=5, target_tier=Tier.L2)
    listed = manager_admin_client.post(
        "/admin/escalation/routingrule/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(rule.pk),
            "form-0-position": "1000001",
            "form-0-is_active": "on",
            "_save": "Save",
        },
    )
    assert "Ensure this value is less than or equal to 1000000." in listed.content.decode()
    rule.refresh_from_db()
    assert rule.position == 5


def _admin_shift(agent, starts_at, ends_at):
    return {
        "agent": agent.pk,
        "tier": "3",
        "starts_at_0": starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": starts_at.strftime("%H:%M"),
        "ends_at_0": ends_at.strftime("%Y-%m-%d"),
        "ends_at_1": ends_at.strftime("%H:%M"),
        "note": "",
    }


def test_the_admin_applies_the_rotas_rules(manager_admin_client, agent_l3, agent_l1):
    """A reversed range was the constraint's name ("oncall_shift_ends_after_start" is
    violated); a shift of two months or for an agent of another tier was saved."""
    start = timezone.localtime() + timedelta(days=1)
    url = "/admin/escalation/oncallshift/add/"
    cases = [
        (_admin_shift(agent_l3, start, start - timedelta(hours=1)), "must end after it starts"),
        (_admin_shift(agent_l3, start, start + timedelta(days=60)), "more than 31 days"),
        (_admin_shift(agent_l1, start, start + timedelta(hours=8)), "is not an agent of"),
    ]
    for data, message in cases:
        response = manager_admin_client.post(url, data)
        assert response.status_code == 200
        assert message in response.content.decode(), message
        assert "oncall_shift_ends_after_start" not in response.content.decode()
    assert not OnCallShift.objects.exists()
    saved = manager_admin_client.post(
        url, _admin_shift(agent_l3, start, start + timedelta(hours=8))
    )
    assert saved.status_code == 302
    assert OnCallShift.objects.get().agent == agent_l3


def test_the_admin_applies_the_support_groups_rules(manager_admin_client, requester, agent_l2):
    """A requester was saved as a group's lead or member there, and a second "Network" as
    "network"; the managers' page refused both."""
    SupportGroup.objects.create(name="Network", tier=Tier.L2)
    url = "/admin/escalation/supportgroup/add/"
    cases = [
        ({"name": "Desk", "tier": "2", "lead": requester.pk}, "is not a support agent"),
        ({"name": "Desk", "tier": "2", "members": [requester.pk]}, "is not a support agent"),
        ({"name": "network", "tier": "2"}, "A group with this name already exists."),
    ]
    for data, message in cases:
        response = manager_admin_client.post(url, data)
        assert response.status_code == 200
        assert message in response.content.decode(), message
    assert not SupportGroup.objects.filter(name__iexact="desk").exists()
    assert SupportGroup.objects.filter(name__iexact="network").count() == 1
    saved = manager_admin_client.post(
        url, {"name": "Desk", "tier": "2", "lead": agent_l2.pk, "members": [agent_l2.pk]}
    )
    assert saved.status_code == 302
    assert SupportGroup.objects.get(name="Desk").lead == agent_l2


def test_the_admin_refuses_a_rule_whose_tier_is_not_its_groups(manager_admin_client):
    group = SupportGroup.objects.create(name="Experts", tier=Tier.L3)
    data = {"name": "VPN", "position": "5", "is_active": "on", "kind": "", "priority": ""}
    url = "/admin/escalation/routingrule/add/"

    response = manager_admin_client.post(
        url, {**data, "target_tier": "2", "target_group": group.pk}
    )

    assert response.status_code == 200
    assert "The group Experts works at L3" in response.content.decode()
    assert not RoutingRule.objects.filter(name="VPN").exists()
    saved = manager_admin_client.post(url, {**data, "target_tier": "3", "target_group": group.pk})
    assert saved.status_code == 302
