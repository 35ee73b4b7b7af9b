"""An agent's account changed in the admin while they hold open tickets."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.messages import get_messages
from django.utils import timezone

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


def _attempt(username: str, **fields):
    return AccessAttempt.objects.create(
        username=username,
        ip_address="192.0.2.7",
        user_agent="curl",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=2,
        **fields,
    )


def test_the_sign_in_lockouts_admin_is_in_spanish(admin_client, admin_user):
    """django-axes ships no Spanish catalog: its names were English in the Spanish admin."""
    admin_user.language = "es"
    admin_user.save()
    attempt = _attempt("ana")

    listed = admin_client.get("/admin/axes/accessattempt/").content.decode()
    for label in ("Intentos de acceso", "Hora del intento", "Dirección IP", "Agente de usuario"):
        assert label in listed, label
    assert "3 intentos restantes" in listed
    assert "Eliminar los intentos caducados" in listed
    page = admin_client.get(f"/admin/axes/accessattempt/{attempt.pk}/change/").content.decode()
    for label in ("Datos del formulario", "Metadatos", "Inicios de sesión fallidos", "Ruta"):
        assert label in page, label
    index = admin_client.get("/admin/").content.decode()
    assert "Registros de acceso" in index and "Fallos de acceso" in index


def test_cleaning_up_expired_attempts_deletes_them_and_says_how_many(admin_client, settings):
    """axes's action raised AttributeError (a 500) when run from the admin."""
    old = _attempt("old")
    AccessAttempt.objects.filter(pk=old.pk).update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    )
    fresh = _attempt("fresh")

    response = admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "cleanup_expired_attempts", "_selected_action": [fresh.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["fresh"]
    assert "1 expired access attempt was deleted." in response.content.decode()
