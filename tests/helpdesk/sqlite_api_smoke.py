"""Run by tests/helpdesk/test_embedded_sqlite.py in its own process, on a fresh SQLite file (the
embedded default of `make run`): the API with a real token, as a requester and as a manager."""

import json
import sys

import django
from django.core.management import call_command


def main() -> None:
    django.setup()
    call_command("migrate", verbosity=0)

    from django.test import Client

    from accounts.models import Role, User
    from accounts.services import api_token_create

    requester = User.objects.create_user(
        "smoke-requester", "r@example.com", "x", role=Role.REQUESTER
    )
    manager = User.objects.create_user("smoke-manager", "m@example.com", "x", role=Role.MANAGER)
    results: dict[str, object] = {}
    client = Client()
    as_requester = {"HTTP_AUTHORIZATION": f"Token {api_token_create(user=requester)}"}
    as_manager = {"HTTP_AUTHORIZATION": f"Token {api_token_create(user=manager)}"}

    results["me"] = client.get("/api/me/", **as_requester).status_code
    created = client.post(
        "/api/tickets/",
        {"title": "Printer jams", "description": "Page two."},
        content_type="application/json",
        **as_requester,
    )
    results["create"] = created.status_code
    ticket_id = created.json().get("id")
    results["list"] = client.get("/api/tickets/", **as_manager).status_code
    results["dashboard"] = client.get("/api/reports/dashboard/", **as_manager).status_code
    results["detail"] = client.get(f"/api/tickets/{ticket_id}/", **as_requester).status_code
    results["bad token"] = client.get("/api/me/", HTTP_AUTHORIZATION="Token nope").status_code

    # Numbers no column holds: what PostgreSQL answers (tests/helpdesk/test_integer_bounds.py).
    huge = "9" * 20
    policy = {"name": "Huge", "position": 2**40}
    results["policy at 2**40"] = client.post(
        "/api/sla/policies/", policy, content_type="application/json", **as_manager
    ).status_code
    pages = Client()
    pages.force_login(manager)
    group = {"name": "Network", "tier": "2", "members": [huge]}
    results["group of a 20-digit member"] = pages.post("/escalation/groups/new/", group).status_code
    admin = User.objects.create_superuser("smoke-admin", "a@example.com", "x")
    pages.force_login(admin)
    chosen = {"action": "delete_selected", "_selected_action": [huge]}
    results["admin action on a 20-digit id"] = pages.post(
        "/admin/escalation/supportgroup/", chosen
    ).status_code
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
