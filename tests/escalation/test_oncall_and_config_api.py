from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from escalation.models import OnCallShift, RoutingRule, SupportGroup, Tier
from escalation.selectors import oncall_agents
from tests.factories import AgentFactory, CategoryFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BEFORE_T0 = T0 - timedelta(days=1)  # the shifts below are to come (ended ones are refused)


def test_oncall_agents_at_an_instant(agent_l3):
    night = AgentFactory(username="night_l3", tier=Tier.L3)
    OnCallShift.objects.create(agent=agent_l3, starts_at=T0, ends_at=T0 + timedelta(hours=12))
    OnCallShift.objects.create(
        agent=night, starts_at=T0 + timedelta(hours=12), ends_at=T0 + timedelta(hours=24)
    )
    OnCallShift.objects.create(
        agent=night, tier=Tier.L3, starts_at=T0, ends_at=T0 + timedelta(hours=1)
    )
    inactive = AgentFactory(username="gone_l3", tier=Tier.L3, is_active=False)
    OnCallShift.objects.create(agent=inactive, starts_at=T0, ends_at=T0 + timedelta(days=1))

    def names(at):
        return [u.username for u in oncall_agents(tier=Tier.L3, at=at)]

    assert names(T0 - timedelta(seconds=1)) == []
    assert names(T0) == ["agent_l3", "night_l3"]
    assert names(T0 + timedelta(hours=2)) == ["agent_l3"]
    assert names(T0 + timedelta(hours=12)) == ["night_l3"]  # the end is exclusive
    assert oncall_agents(tier=Tier.L2, at=T0) == []


@time_machine.travel(BEFORE_T0, tick=False)
def test_only_managers_edit_the_rota(agent_l3, manager, api):
    payload = {
        "agent": agent_l3.pk,
        "tier": 3,
        "starts_at": T0.isoformat(),
        "ends_at": (T0 + timedelta(hours=8)).isoformat(),
    }

    assert api(agent_l3).post("/api/escalation/shifts/", payload, format="json").status_code == 403
    response = api(manager).post("/api/escalation/shifts/", payload, format="json")
    assert response.status_code == 201, response.json()
    shift_id = response.json()["id"]
    at = (T0 + timedelta(hours=1)).isoformat().replace("+", "%2B")
    on_call = api(agent_l3).get(f"/api/escalation/shifts/now/?tier=3&at={at}")
    assert on_call.json() == [{"id": agent_l3.pk, "name": agent_l3.name}]
    assert api(agent_l3).delete(f"/api/escalation/shifts/{shift_id}/").status_code == 403
    assert api(manager).delete(f"/api/escalation/shifts/{shift_id}/").status_code == 204
    assert api(manager).delete(f"/api/escalation/shifts/{shift_id}/").status_code == 404


@time_machine.travel(BEFORE_T0, tick=False)
def test_a_shift_for_an_agent_outside_the_tier_or_backwards_is_a_400(
    agent_l1, agent_l3, manager, api
):
    client = api(manager)
    base = {
        "tier": 3,
        "starts_at": T0.isoformat(),
        "ends_at": (T0 + timedelta(hours=1)).isoformat(),
    }

    wrong_tier = client.post(
        "/api/escalation/shifts/", {**base, "agent": agent_l1.pk}, format="json"
    )
    backwards = client.post(
        "/api/escalation/shifts/",
        {**base, "agent": agent_l3.pk, "ends_at": (T0 - timedelta(hours=1)).isoformat()},
        format="json",
    )

    assert (wrong_tier.status_code, backwards.status_code) == (400, 400)
    assert "agent" in wrong_tier.json()["errors"] and "ends_at" in backwards.json()["errors"]
    assert not OnCallShift.objects.exists()


def test_requesters_see_no_configuration(requester, api):
    for url in ("/api/escalation/groups/", "/api/escalation/shifts/", "/api/escalation/rules/"):
        assert api(requester).get(url).status_code == 403


def test_only_managers_edit_routing_rules(agent_l2, manager, api):
    group = SupportGroup.objects.get(tier=Tier.L2)
    payload = {"name": "Network", "category": CategoryFactory().pk, "target_group": group.pk}

    assert api(agent_l2).post("/api/escalation/rules/", payload, format="json").status_code == 403
    response = api(manager).post("/api/escalation/rules/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["target_tier"] == Tier.L2  # the group's tier
    mismatch = api(manager).post(
        "/api/escalation/rules/", {**payload, "target_tier": 3}, format="json"
    )
    assert mismatch.status_code == 400 and "target_tier" in mismatch.json()["errors"]
    rule_id = response.json()["id"]
    updated = api(manager).put(
        f"/api/escalation/rules/{rule_id}/", {"name": "All to L3", "target_tier": 3}, format="json"
    )
    assert updated.status_code == 200 and updated.json()["target_group"] is None
    assert RoutingRule.objects.get().target_tier == Tier.L3
    assert api(agent_l2).get("/api/escalation/rules/").status_code == 200


def test_only_managers_edit_support_groups(agent_l2, manager, requester, api):
    payload = {"name": "Databases", "tier": 2, "lead": agent_l2.pk, "members": [agent_l2.pk]}

    assert api(agent_l2).post("/api/escalation/groups/", payload, format="json").status_code == 403
    response = api(manager).post("/api/escalation/groups/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["members"] == [{"id": agent_l2.pk, "name": agent_l2.name}]
    duplicate = api(manager).post("/api/escalation/groups/", payload, format="json")
    assert duplicate.status_code == 400
    not_agent = api(manager).post(
        "/api/escalation/groups/",
        {**payload, "name": "X", "members": [requester.pk]},
        format="json",
    )
    assert not_agent.status_code == 400


@time_machine.travel(T0 + timedelta(days=1), tick=False)
def test_a_shift_that_has_already_ended_is_a_400(agent_l3, manager, api):
    """Saved, it vanished: the rota lists shifts to come (a year typed wrong, say)."""
    payload = {
        "agent": agent_l3.pk,
        "tier": 3,
        "starts_at": T0.isoformat(),
        "ends_at": (T0 + timedelta(hours=8)).isoformat(),
    }
    response = api(manager).post("/api/escalation/shifts/", payload, format="json")
    assert response.status_code == 400
    assert "already ended" in response.json()["errors"]["ends_at"][0]
    assert not OnCallShift.objects.exists()
    running = {**payload, "ends_at": (T0 + timedelta(days=1, hours=1)).isoformat()}
    assert api(manager).post("/api/escalation/shifts/", running, format="json").status_code == 201


@time_machine.travel(BEFORE_T0, tick=False)
def test_patch_changes_the_fields_sent_and_keeps_the_others(agent_l2, agent_l3, manager, api):
    """A client changing one field sent it alone and got 405 (or, by PUT, the rest reset)."""
    client = api(manager)
    group = SupportGroup.objects.create(name="Databases", tier=Tier.L2, lead=agent_l2)
    group.members.set([agent_l2])
    shift = OnCallShift.objects.create(
        agent=agent_l3, starts_at=T0, ends_at=T0 + timedelta(hours=8)
    )
    rule = RoutingRule.objects.create(
        name="Network", category=CategoryFactory(), target_tier=Tier.L3, position=7, is_active=False
    )

    renamed = client.patch(f"/api/escalation/groups/{group.pk}/", {"name": "DBA"}, format="json")
    noted = client.patch(f"/api/escalation/shifts/{shift.pk}/", {"note": "Cover"}, format="json")
    moved = client.patch(f"/api/escalation/rules/{rule.pk}/", {"position": 3}, format="json")

    assert (renamed.status_code, noted.status_code, moved.status_code) == (200, 200, 200)
    group.refresh_from_db()
    assert (group.name, group.lead, list(group.members.all())) == ("DBA", agent_l2, [agent_l2])
    shift.refresh_from_db()
    assert (shift.note, shift.starts_at, shift.ends_at) == ("Cover", T0, T0 + timedelta(hours=8))
    rule.refresh_from_db()
    assert (rule.position, rule.is_active, rule.target_tier) == (3, False, Tier.L3)
    assert rule.category_id is not None


@time_machine.travel(BEFORE_T0, tick=False)
def test_a_patch_is_checked_against_the_whole_object(agent_l2, agent_l3, manager, api):
    shift = OnCallShift.objects.create(
        agent=agent_l3, starts_at=T0, ends_at=T0 + timedelta(hours=8)
    )
    client = api(manager)

    backwards = client.patch(
        f"/api/escalation/shifts/{shift.pk}/",
        {"ends_at": (T0 - timedelta(hours=1)).isoformat()},
        format="json",
    )
    not_an_object = client.patch(f"/api/escalation/shifts/{shift.pk}/", [1], format="json")
    unknown = client.patch(f"/api/escalation/shifts/{shift.pk}/", {"colour": "red"}, format="json")
    by_agent = api(agent_l2).patch(f"/api/escalation/shifts/{shift.pk}/", {}, format="json")
    missing = client.patch("/api/escalation/shifts/999999/", {"note": "x"}, format="json")

    assert backwards.status_code == 400 and "ends_at" in backwards.json()["errors"]
    assert (not_an_object.status_code, unknown.status_code) == (400, 400)
    assert (by_agent.status_code, missing.status_code) == (403, 404)
    shift.refresh_from_db()
    assert shift.ends_at == T0 + timedelta(hours=8)


def test_a_form_encoded_patch_keeps_a_groups_members(agent_l2, manager, api):
    group = SupportGroup.objects.create(name="Databases", tier=Tier.L2)
    group.members.set([agent_l2])

    response = api(manager).patch(f"/api/escalation/groups/{group.pk}/", {"name": "DBA"})

    assert response.status_code == 200, response.json()
    group.refresh_from_db()
    assert (group.name, list(group.members.all())) == ("DBA", [agent_l2])
