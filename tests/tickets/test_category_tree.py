"""Every category picker lists the tree: a top category, then its subcategories indented, in the
reader's language (issue 16 item 13). Sorting by the last word mixed parents and children."""

import re

import pytest
from django.test import Client
from django.utils import translation

from tests.factories import CategoryFactory
from tickets.forms import TREE_INDENT, TriageForm
from tickets.models import Category
from tickets.selectors import category_tree

pytestmark = pytest.mark.django_db

IN_ENGLISH = [
    "Access",
    f"{TREE_INDENT}Password reset",
    f"{TREE_INDENT}VPN",
    "Application",
    f"{TREE_INDENT}App builder",
    f"{TREE_INDENT}Billing",
    "Email",
]


@pytest.fixture
def tree() -> dict[str, Category]:
    access = CategoryFactory(name="Access", name_es="Acceso")
    application = CategoryFactory(name="Application", name_es="Aplicación")
    email = CategoryFactory(name="Email", name_es="Correo")
    return {
        "access": access,
        "application": application,
        "email": email,
        # Created out of order, so the database's order is not the answer.
        "vpn": CategoryFactory(name="VPN", name_es="VPN", parent=access),
        "billing": CategoryFactory(name="Billing", name_es="Facturación", parent=application),
        "builder": CategoryFactory(
            name="App builder", name_es="Creador de apps", parent=application
        ),
        "reset": CategoryFactory(
            name="Password reset", name_es="Restablecer contraseña", parent=access
        ),
        "old": CategoryFactory(name="Old", is_active=False, parent=email),
    }


def options(html: str, select_name: str) -> list[str]:
    select = re.search(rf'<select name="{select_name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no <select name={select_name}>"
    labels = re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)</option>", select.group(1))
    return [label.replace("&nbsp;", "\u00a0") for label in labels]


def test_the_tree_puts_each_parent_before_its_children(tree):
    assert [c.name for c in category_tree()] == [
        "Access",
        "Password reset",
        "VPN",
        "Application",
        "App builder",
        "Billing",
        "Email",
    ]


def test_the_tree_follows_the_spanish_names(tree):
    with translation.override("es"):
        names = [c.label for c in category_tree()]
    assert names == [
        "Acceso",
        "Restablecer contraseña",
        "VPN",
        "Aplicación",
        "Creador de apps",
        "Facturación",
        "Correo",
    ]


def test_the_new_request_form_shows_the_tree(tree, requester):
    client = Client()
    client.force_login(requester)

    html = client.get("/new/").content.decode()

    assert options(html, "category") == IN_ENGLISH


def test_the_triage_form_shows_the_tree(tree):
    field = TriageForm().fields["category"]

    assert [str(label) for value, label in field.choices if value != ""] == IN_ENGLISH


def test_the_console_category_filter_shows_the_tree(tree, agent_l1):
    client = Client()
    client.force_login(agent_l1)

    html = client.get("/console/").content.decode()

    select = re.search(r'<select id="f-category" name="category">(.*?)</select>', html, re.S)
    assert select
    labels = re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', select.group(1))
    assert labels == IN_ENGLISH


def test_the_dashboard_category_filter_shows_the_tree(tree, manager):
    client = Client()
    client.force_login(manager)

    html = client.get("/reports/sla/").content.decode()

    # The dashboard lists inactive categories too (old tickets may still carry them).
    assert options(html, "category") == [*IN_ENGLISH, f"{TREE_INDENT}Old"]


def test_the_knowledge_base_and_routing_rule_pickers_show_the_tree(tree, manager):
    client = Client()
    client.force_login(manager)

    kb = client.get("/kb/new/").content.decode()
    rules = client.get("/escalation/rules/new/").content.decode()

    assert options(kb, "category") == IN_ENGLISH
    assert options(rules, "category") == [*IN_ENGLISH, f"{TREE_INDENT}Old"]


def test_the_admin_pickers_show_the_tree(tree, admin_client):
    html = admin_client.get("/admin/escalation/routingrule/add/").content.decode()

    assert options(html, "category") == [*IN_ENGLISH, f"{TREE_INDENT}Old"]
