"""Configuring integrations in the admin: the token is shown once and stored as a hash."""

import re

import pytest
from django.contrib.messages import get_messages

from integrations.models import AlertRule, Integration, IntegrationKind
from integrations.tokens import token_hash

pytestmark = pytest.mark.django_db


def _token_in(response) -> str:
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    match = re.search(r"is (\w+\.[\w-]+) — copy it now", text)
    assert match, text
    return match.group(1)


def test_adding_an_integration_creates_its_service_account_and_shows_the_token_once(
    admin_client, category
):
    response = admin_client.post(
        "/admin/integrations/integration/add/",
        {
            "name": "Prometheus prod",
            "kind": IntegrationKind.ALERTMANAGER,
            "is_active": "on",
            "default_category": category.pk,
            "default_impact": "medium",
            "default_urgency": "medium",
            "flap_window_minutes": 30,
        },
    )

    assert response.status_code == 302, response.content
    integration = Integration.objects.get()
    token = _token_in(response)
    assert integration.token_hash == token_hash(token)
    account = integration.service_account
    assert (account.display_name, account.is_active, account.has_usable_password()) == (
        "Prometheus prod",
        False,
        False,
    )
    change_page = f"/admin/integrations/integration/{integration.pk}/change/"
    assert token in admin_client.get(change_page).content.decode()  # the message, once
    assert token not in admin_client.get(change_page).content.decode()


def test_rotating_the_token_in_the_admin(admin_client, make_integration):
    configured = make_integration()

    response = admin_client.post(
        "/admin/integrations/integration/",
        {"action": "rotate_token", "_selected_action": [configured.integration.pk]},
    )

    new_token = _token_in(response)
    configured.integration.refresh_from_db()
    assert new_token != configured.token
    assert configured.integration.token_hash == token_hash(new_token)


def test_a_rule_with_a_broken_pattern_is_refused(admin_client):
    response = admin_client.post(
        "/admin/integrations/alertrule/add/",
        {"position": 1, "label": "severity", "pattern": "(", "impact": "high", "is_active": "on"},
    )

    assert response.status_code == 200
    assert "Not a valid regular expression" in response.content.decode()
    assert not AlertRule.objects.filter(pattern="(").exists()


def test_the_default_rules_map_severity(db):
    rules = list(
        AlertRule.objects.filter(integration=None).values_list("pattern", "impact", "urgency")
    )

    assert rules == [
        ("critical|page", "high", "high"),
        ("error|major|high", "high", "medium"),
        ("warning|minor|medium", "medium", "medium"),
        ("info|low|none", "low", "low"),
    ]


@pytest.mark.parametrize(
    ("language", "pattern", "message"),
    [
        ("en", "(a+)+b", "A repeated group may not itself repeat or hold alternatives"),
        ("es", "(a|ab)*c", "Un grupo repetido no puede repetirse a su vez ni tener alternativas"),
        ("en", r"\d*\d*\d*x", "At most 2 repeats (*, +, {m,n}) may follow one another"),
        ("es", ".*.*.*x", "Como mucho 2 repeticiones (*, +, {m,n}) pueden seguirse"),
    ],
)
def test_a_rule_with_a_pattern_that_could_stall_the_intake_is_refused(
    admin_client, admin_user, language, pattern, message
):
    """Such a pattern took minutes on one alert's label, holding up every alert after it."""
    admin_user.language = language  # the admin speaks the user's language
    admin_user.save(update_fields=["language"])
    response = admin_client.post(
        "/admin/integrations/alertrule/add/",
        {"position": 1, "label": "severity", "pattern": pattern, "impact": "high"},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'id="id_pattern_error"' in page or "field-pattern errors" in page
    assert not AlertRule.objects.filter(pattern=pattern).exists()
