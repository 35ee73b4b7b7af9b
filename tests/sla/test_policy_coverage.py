"""A change that would leave tickets of a priority without SLA clocks is refused
(sla.services.policy_coverage_check): before, deleting or switching off the only policy that
takes every ticket was accepted, and new tickets silently got no clocks."""

import pytest

from sla.models import SlaClock, SlaPolicy
from tickets import services
from tickets.models import Level

pytestmark = pytest.mark.django_db

EVERY_PRIORITY = [
    {"priority": p, "first_response": "01:00:00", "resolution": "1 00:00:00"} for p in range(1, 6)
]


@pytest.fixture
def default():
    """The catch-all policy the migrations install: every ticket, every priority."""
    policy = SlaPolicy.objects.get(kind="", category=None, organisation=None)
    assert sorted(policy.targets.values_list("priority", flat=True)) == [1, 2, 3, 4, 5]
    return policy


def _clocks_of_a_new_ticket(requester) -> int:
    ticket = services.ticket_create(
        requester=requester, title="VPN down", description="Since 9.", urgency=Level.HIGH
    )
    return SlaClock.objects.filter(ticket=ticket).count()


def test_the_only_catch_all_policy_cannot_be_deleted(api, manager, requester, default):
    client = api(manager)
    answer = client.delete(f"/api/sla/policies/{default.pk}/", HTTP_ACCEPT_LANGUAGE="es")
    assert answer.status_code == 400
    assert "P1, P2, P3, P4, P5" in answer.json()["message"]
    assert "no tendrían relojes de SLA" in answer.json()["message"]
    assert SlaPolicy.objects.filter(pk=default.pk).exists()
    assert _clocks_of_a_new_ticket(requester) == 2

    other = client.post(
        "/api/sla/policies/",
        {"name": "Everyone", "position": 50, "targets": EVERY_PRIORITY},
        format="json",
    )
    assert other.status_code == 201, other.json()
    assert client.delete(f"/api/sla/policies/{default.pk}/").status_code == 204
    assert _clocks_of_a_new_ticket(requester) == 2


@pytest.mark.parametrize(
    "change",
    [{"is_active": False}, {"kind": "service_request"}],
    ids=["switched off", "narrowed"],
)
def test_switching_off_or_narrowing_it_is_refused(api, manager, default, change):
    answer = api(manager).patch(f"/api/sla/policies/{default.pk}/", change, format="json")
    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == ["is_active"]
    default.refresh_from_db()
    assert default.is_active and default.kind == ""


def test_dropping_one_priority_names_that_one(api, manager, default):
    answer = api(manager).patch(
        f"/api/sla/policies/{default.pk}/", {"targets": EVERY_PRIORITY[:4]}, format="json"
    )
    assert answer.status_code == 400
    assert "Tickets of P5 would get no SLA clocks" in answer.json()["message"]
    assert default.targets.count() == 5


def test_a_gap_that_was_there_before_is_not_this_changes_to_refuse(api, manager, default):
    SlaPolicy.objects.filter(pk=default.pk).update(is_active=False)  # no catch-all at all
    narrow = SlaPolicy.objects.create(name="Requests", kind="service_request")
    answer = api(manager).patch(f"/api/sla/policies/{narrow.pk}/", {"position": 3}, format="json")
    assert answer.status_code == 200, answer.json()


def test_the_admin_refuses_it_too(manager_admin_client, default):
    delete = manager_admin_client.post(
        f"/admin/sla/slapolicy/{default.pk}/delete/", {"post": "yes"}
    )
    assert delete.status_code == 200  # Django's "cannot delete" page, with the reason
    assert "would get no SLA clocks" in delete.content.decode()
    assert SlaPolicy.objects.filter(pk=default.pk).exists()

    bulk = manager_admin_client.post(
        "/admin/sla/slapolicy/",
        {"action": "delete_selected", "_selected_action": [default.pk], "post": "yes"},
    )
    assert "would get no SLA clocks" in bulk.content.decode()
    assert SlaPolicy.objects.filter(pk=default.pk).exists()

    listed = manager_admin_client.post(
        "/admin/sla/slapolicy/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(default.pk),
            "form-0-position": str(default.position),
            "_save": "Save",
        },  # the "active" box left unticked
    )
    assert "would get no SLA clocks" in listed.content.decode()
    default.refresh_from_db()
    assert default.is_active


def test_the_admin_change_form_refuses_switching_it_off(manager_admin_client, default):
    targets = list(default.targets.order_by("priority"))
    form = {
        "name": default.name,
        "position": str(default.position),
        "kind": "",
        "calendar": "",
        "escalate_on_breach": "on",  # "is_active" left unticked
        "targets-TOTAL_FORMS": str(len(targets)),
        "targets-INITIAL_FORMS": str(len(targets)),
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
    }
    for n, target in enumerate(targets):
        form |= {
            f"targets-{n}-id": str(target.pk),
            f"targets-{n}-policy": str(default.pk),
            f"targets-{n}-priority": str(target.priority),
            f"targets-{n}-first_response": str(target.first_response),
            f"targets-{n}-resolution": str(target.resolution),
        }
    answer = manager_admin_client.post(f"/admin/sla/slapolicy/{default.pk}/change/", form)
    assert answer.status_code == 200
    assert "would get no SLA clocks" in answer.content.decode()
    default.refresh_from_db()
    assert default.is_active
    form["is_active"] = "on"
    saved = manager_admin_client.post(f"/admin/sla/slapolicy/{default.pk}/change/", form)
    assert saved.status_code == 302


def test_two_catch_all_policies_deleted_together_are_refused(manager_admin_client, default):
    """Each alone may go (the other remains); both at once left every priority without clocks."""
    second = SlaPolicy.objects.create(name="Everyone too", position=60)
    for target in default.targets.all():
        target.pk, target.policy = None, second
        target.save()
    bulk = manager_admin_client.post(
        "/admin/sla/slapolicy/",
        {"action": "delete_selected", "_selected_action": [default.pk, second.pk], "post": "yes"},
    )
    assert "would get no SLA clocks" in bulk.content.decode()
    assert SlaPolicy.objects.filter(pk__in=[default.pk, second.pk]).count() == 2
    alone = manager_admin_client.post(
        "/admin/sla/slapolicy/",
        {"action": "delete_selected", "_selected_action": [second.pk], "post": "yes"},
    )
    assert alone.status_code == 302
    assert not SlaPolicy.objects.filter(pk=second.pk).exists()
