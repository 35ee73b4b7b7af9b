"""A request key that is no field is refused with a 400 naming it, never silently ignored
(helpdesk.serializers.KnownFieldsOnlyMixin)."""

import importlib
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.core import mail
from rest_framework import serializers

from helpdesk.serializers import KnownFieldsOnlyMixin
from tickets.models import Comment, Status

pytestmark = pytest.mark.django_db

# Serializers that take other systems' payloads (Alertmanager, event webhooks: keys of theirs we
# do not read), and the on-call query's parameters (pagination and format ride along).
EXEMPT = {
    "integrations.api.serializers",
    "escalation.api.serializers.OnCallQuerySerializer",
}


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_serializer_of_the_apps_refuses_unknown_keys():
    for config in apps.get_app_configs():
        for module in ("api.serializers", "api.views", "api.forecast"):
            try:
                importlib.import_module(f"{config.name}.{module}")
            except ModuleNotFoundError:
                continue
    ours = {app.name for app in apps.get_app_configs() if not app.path.count("site-packages")}
    missing = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in set(_subclasses(serializers.BaseSerializer))
        if cls.__module__.split(".")[0] in ours
        and not cls.__module__.startswith("tests")
        and cls.__module__ not in EXEMPT
        and f"{cls.__module__}.{cls.__qualname__}" not in EXEMPT
        and not issubclass(cls, KnownFieldsOnlyMixin)
    ]
    assert missing == []


def test_a_misspelled_internal_flag_publishes_nothing(api, make_ticket, agent_l1):
    """`internal` for `is_internal`: before, the note was saved as a public reply and emailed to
    the requester."""
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    mail.outbox.clear()
    answer = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/comments/",
        {"body": "The admin password is on the sticky note.", "internal": True},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "internal": [
            "“internal” is not a field of this request: it takes body, is_internal, files, "
            "expected_version."
        ]
    }
    assert "internal" in answer.json()["message"]
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert mail.outbox == []


def test_the_refusal_is_in_the_request_language(api, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    answer = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/take/",
        {"note": "mine"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "note": ["«note» no es un campo de esta petición: no lleva ninguno."]
    }


def test_read_only_fields_sent_back_are_accepted(api, manager):
    """An object read by GET may be sent back: its read-only keys are fields."""
    client = api(manager)
    policy = client.get("/api/sla/policies/").json()[0]
    assert {"id", "created_at", "updated_at"} <= policy.keys()
    answer = client.put(
        f"/api/sla/policies/{policy['id']}/", {**policy, "name": "Renamed"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["name"] == "Renamed"
    refused = client.put(
        f"/api/sla/policies/{policy['id']}/", {**policy, "nmae": "Typo"}, format="json"
    )
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["nmae"]


def test_a_nested_serializer_checks_its_own_keys(api, make_ticket, agent_l1):
    ticket = make_ticket(Status.PRIORITIZED)
    answer = api(agent_l1).post(
        "/api/tickets/bulk/",
        {"action": "escalate", "ids": [ticket.pk], "args": {"reason": "Network", "reson": "x"}},
        format="json",
    )
    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == ["args"]
    assert "reson" in answer.json()["errors"]["args"]
    ticket.refresh_from_db()
    assert ticket.status == Status.PRIORITIZED


def test_a_form_post_may_carry_its_csrf_token(api, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    answer = api(agent_l1).post(
        f"/api/tickets/{ticket.pk}/comments/",
        {"body": "Restarting it now.", "csrfmiddlewaretoken": "x"},
        format="multipart",
    )
    assert answer.status_code == 201, answer.json()


def test_a_misspelled_list_filter_is_refused_not_ignored(api, make_ticket, agent_l1):
    """`?stauts=resolved` answered every ticket: a script closing "the resolved ones" would have
    closed them all."""
    make_ticket(Status.IN_DIAGNOSIS)
    client = api(agent_l1)
    answer = client.get("/api/tickets/?stauts=resolved")
    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == ["stauts"]
    assert "status, kind, tier" in answer.json()["errors"]["stauts"][0]
    wrong_value = client.get("/api/tickets/?status=resolved,resolvd")
    assert wrong_value.status_code == 400
    assert wrong_value.json()["errors"]["status"][0].startswith("resolvd is not one of new,")
    assert client.get("/api/tickets/?kind=problem").status_code == 400
    fine = client.get("/api/tickets/?status=in_diagnosis,new&kind=incident&page_size=5&format=json")
    assert fine.status_code == 200
    assert len(fine.json()["results"]) == 1


def test_the_other_lists_refuse_unknown_parameters_too(api, security_officer, agent_l1):
    breaches = api(security_officer)
    assert breaches.get("/api/breaches/?status=open").status_code == 200
    assert list(breaches.get("/api/breaches/?state=open").json()["errors"]) == ["state"]
    assert list(breaches.get("/api/breaches/?status=opened").json()["errors"]) == ["status"]
    articles = api(agent_l1)
    assert articles.get("/api/kb/articles/?q=vpn&language=es").status_code == 200
    assert list(articles.get("/api/kb/articles/?lang=es").json()["errors"]) == ["lang"]
    assert list(articles.get("/api/kb/articles/?language=fr").json()["errors"]) == ["language"]


def test_a_flood_of_unknown_keys_gets_a_short_answer(api, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    body = {"body": "x", **{f"{n:04}{'k' * 500}": n for n in range(1000)}}
    answer = api(agent_l1).post(f"/api/tickets/{ticket.pk}/comments/", body, format="json")
    assert answer.status_code == 400
    assert len(answer.json()["errors"]) == 10
    assert all(len(key) == 40 for key in answer.json()["errors"])
    assert len(answer.content) < 5000


def test_a_script_that_asks_for_no_language_gets_its_users(api, make_ticket, agent_l1):
    """A token request without Accept-Language was answered in English whatever the user chose."""
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = api(agent_l1)
    url = f"/api/tickets/{ticket.pk}/take/"
    spanish = client.post(url, {"note": "x"}, format="json")
    assert spanish.json()["errors"]["note"] == [
        "«note» no es un campo de esta petición: no lleva ninguno."
    ]
    assert spanish["Content-Language"] == "es"
    english = client.post(url, {"note": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["errors"]["note"] == [
        "“note” is not a field of this request: it takes none."
    ]
