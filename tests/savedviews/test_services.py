"""Saved views: the filters are checked and stored canonically; who reads, changes, defaults."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation

from escalation.models import SupportGroup, Tier
from helpdesk.errors import DomainError
from savedviews import services
from savedviews.filters import console_query_clean
from savedviews.models import DefaultView, SavedView, Visibility
from savedviews.selectors import (
    saved_view_default_for,
    saved_view_get_for_user,
    saved_views_visible_to,
)
from tests.factories import AgentFactory, CategoryFactory

pytestmark = pytest.mark.django_db


def test_the_query_is_stored_as_the_console_writes_it(agent_l1):
    # Order, defaults and the page cursor do not matter: the console's own canonical form.
    assert (
        console_query_clean(user=agent_l1, query="?sort=oldest&priority=1&cursor=55")
        == "queue=l1&status=open&priority=1&sort=oldest"
    )
    assert console_query_clean(user=agent_l1, query="") == "queue=l1&status=open&sort=newest"


def test_every_filter_of_the_bar_is_accepted(agent_l1, agent_l2):
    category = CategoryFactory()
    query = (
        f"queue=mine&status=all&kind=incident&priority=2&category={category.pk}"
        f"&assignee={agent_l2.pk}&sla=at_risk&sort=priority&q=vpn+down"
    )
    assert console_query_clean(user=agent_l1, query=query) == query


@pytest.mark.parametrize(
    "query, message",
    [
        ("colour=red", "Unknown filter: colour."),
        ("priority=9", "Filter “Priority”:"),
        ("status=sleeping", "Filter “Status”:"),
        ("sort=random", "Filter “Sort”:"),
        ("category=999999", "Filter “Category”:"),
        ("assignee=999999", "Filter “Assignee”:"),
        ("sla=late", "Filter “SLA”:"),
        ("q=" + "x" * 201, "Filter “Search”:"),
        ("queue=bogus", "Filter “Queue”:"),
        ("q=" + "x" * 1000, "These filters are too long to save."),
    ],
)
def test_an_invalid_filter_is_refused_with_its_name(agent_l1, query, message):
    with pytest.raises(DomainError) as refused:
        console_query_clean(user=agent_l1, query=query)
    assert refused.value.field == "query"
    assert message in refused.value.message


def test_an_invalid_filter_is_named_by_the_bars_label_in_the_agents_language(agent_l1):
    """The message named the address parameter ("Filter assignee"), a word the agent never
    sees: the filter bar calls it "Assignee" ("Asignado a" in Spanish)."""
    with translation.override("es"), pytest.raises(DomainError) as refused:
        console_query_clean(user=agent_l1, query="assignee=999999")
    assert refused.value.message.startswith("Filtro «Asignado a»: ")


def test_a_queue_the_agent_has_not_is_refused(agent_l2):
    with pytest.raises(DomainError):
        console_query_clean(user=agent_l2, query="queue=l1")


def test_create_private_and_shared(agent_l1, l1_group):
    private = services.saved_view_create(owner=agent_l1, name=" P1 first ", query="priority=1")
    shared = services.saved_view_create(
        owner=agent_l1, name="Unassigned", query="assignee=none", visibility=Visibility.GROUP
    )
    assert private.name == "P1 first" and private.group is None
    assert private.visibility == Visibility.PRIVATE
    assert shared.group == l1_group  # the agent's only group, chosen for them


def test_sharing_needs_a_group_of_ones_own(agent_l1, agent_l2):
    l2_group = SupportGroup.objects.get(name="Tier 2 team")
    with pytest.raises(DomainError) as refused:
        services.saved_view_create(
            owner=agent_l1, name="x", query="", visibility=Visibility.GROUP, group=l2_group
        )
    assert refused.value.field == "group"


def test_an_agent_of_two_groups_names_the_group(agent_l1):
    SupportGroup.objects.create(name="Night desk", tier=Tier.L1).members.add(agent_l1)
    with pytest.raises(DomainError) as refused:
        services.saved_view_create(owner=agent_l1, name="x", query="", visibility="group")
    assert refused.value.field == "group"


def test_names_are_unique_per_owner_whatever_the_case(agent_l1, teammate):
    services.saved_view_create(owner=agent_l1, name="Mine", query="")
    with pytest.raises(DomainError) as refused:
        services.saved_view_create(owner=agent_l1, name="MINE", query="")
    assert refused.value.field == "name"
    services.saved_view_create(owner=teammate, name="Mine", query="")  # another agent may
    with pytest.raises(DomainError):
        services.saved_view_create(owner=agent_l1, name="   ", query="")


def test_requesters_cannot_save_views(requester):
    with pytest.raises(PermissionDenied):
        services.saved_view_create(owner=requester, name="x", query="")


def test_who_reads_a_view(agent_l1, teammate, agent_l2, manager, requester):
    private = services.saved_view_create(owner=agent_l1, name="Private", query="")
    shared = services.saved_view_create(owner=agent_l1, name="Team", query="", visibility="group")

    assert set(saved_views_visible_to(user=agent_l1)) == {private, shared}
    assert list(saved_views_visible_to(user=teammate)) == [shared]
    for outsider in (agent_l2, manager, requester):
        assert list(saved_views_visible_to(user=outsider)) == []
        with pytest.raises(Http404):
            saved_view_get_for_user(user=outsider, view_id=shared.pk)
    with pytest.raises(Http404):
        saved_view_get_for_user(user=teammate, view_id=private.pk)


def test_only_the_owner_changes_or_deletes(agent_l1, teammate):
    view = services.saved_view_create(owner=agent_l1, name="Team", query="", visibility="group")
    with pytest.raises(PermissionDenied):
        services.saved_view_update(view=view, actor=teammate, name="Hijacked")
    with pytest.raises(PermissionDenied):
        services.saved_view_delete(view=view, actor=teammate)

    services.saved_view_update(view=view, actor=agent_l1, name="Renamed", visibility="private")
    view.refresh_from_db()
    assert (view.name, view.group) == ("Renamed", None)
    services.saved_view_delete(view=view, actor=agent_l1)
    assert not SavedView.objects.exists()


def test_one_default_per_user_and_a_teammates_view_may_be_it(agent_l1, teammate):
    mine = services.saved_view_create(owner=teammate, name="Mine", query="", make_default=True)
    shared = services.saved_view_create(
        owner=agent_l1, name="Team", query="priority=1", visibility="group"
    )
    assert saved_view_default_for(user=teammate) == mine

    services.saved_view_set_default(user=teammate, view=shared)
    assert saved_view_default_for(user=teammate) == shared
    assert DefaultView.objects.filter(user=teammate).count() == 1
    assert saved_view_default_for(user=agent_l1) is None  # the owner's default is their own

    # Unshared: the teammate no longer reads it, so it no longer opens for them.
    services.saved_view_update(view=shared, actor=agent_l1, visibility="private")
    assert saved_view_default_for(user=teammate) is None
    with pytest.raises(DomainError):
        services.saved_view_set_default(user=teammate, view=shared)

    services.saved_view_set_default(user=teammate, view=None)
    assert not DefaultView.objects.filter(user=teammate).exists()


def test_a_deleted_group_leaves_the_view_private(agent_l1, l1_group):
    view = services.saved_view_create(owner=agent_l1, name="Team", query="", visibility="group")
    l1_group.delete()
    view.refresh_from_db()
    assert view.visibility == Visibility.PRIVATE


def test_a_new_agent_sees_the_group_views_at_once(agent_l1):
    view = services.saved_view_create(owner=agent_l1, name="Team", query="", visibility="group")
    newcomer = AgentFactory(tier=Tier.L1)
    assert list(saved_views_visible_to(user=newcomer)) == [view]
