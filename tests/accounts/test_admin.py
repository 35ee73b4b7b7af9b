"""An agent's account changed in the admin while they hold open tickets."""

import pytest
from django.contrib.messages import get_messages

from accounts.models import Role
from tests.admin_forms import admin_form_data
from tickets.models import Status

pytestmark = pytest.mark.django_db


def test_an_agent_holding_open_tickets_keeps_the_agent_role(admin_client, agent_l1, make_ticket):
    """Made a requester or a manager, they could no longer work the tickets still theirs."""
    make_ticket(Status.IN_DIAGNOSIS)  # taken by agent_l1
    url = f"/admin/accounts/user/{agent_l1.pk}/change/"
    data = {**admin_form_data(admin_client, url), "role": Role.MANAGER}

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["role"] == [
        f"{agent_l1.name} still holds 1 open ticket: reassign it first."
    ]
    agent_l1.refresh_from_db()
    assert agent_l1.role == Role.AGENT


def test_an_agent_without_open_tickets_may_change_role(admin_client, agent_l1):
    url = f"/admin/accounts/user/{agent_l1.pk}/change/"
    data = {**admin_form_data(admin_client, url), "role": Role.MANAGER}

    assert admin_client.post(url, data).status_code == 302
    agent_l1.refresh_from_db()
    assert agent_l1.role == Role.MANAGER


def test_deactivating_an_agent_is_never_refused_and_says_what_they_still_hold(
    admin_client, agent_l1, make_ticket
):
    make_ticket(Status.IN_DIAGNOSIS)
    make_ticket(Status.IN_DIAGNOSIS, title="Printer")
    url = f"/admin/accounts/user/{agent_l1.pk}/change/"
    data = admin_form_data(admin_client, url)
    del data["is_active"]  # the box unticked

    response = admin_client.post(url, data)

    assert response.status_code == 302
    agent_l1.refresh_from_db()
    assert not agent_l1.is_active
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(
        "still holds 2 open tickets: reassign them (queue health lists them)." in t for t in texts
    ), texts
