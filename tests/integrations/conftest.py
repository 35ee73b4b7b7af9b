"""Integrations, their tokens, and the recorded payloads under payloads/."""

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from integrations import services
from integrations.models import Integration, IntegrationKind

PAYLOADS = Path(__file__).parent / "payloads"
ALERTMANAGER_URL = "/api/integrations/alertmanager/"
EVENTS_URL = "/api/integrations/events/v2/"


def payload(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((PAYLOADS / f"{name}.json").read_text()))


@dataclass
class Configured:
    integration: Integration
    token: str


@pytest.fixture
def make_integration(category) -> Callable[..., Configured]:
    def make(
        name: str = "Prometheus prod", kind: str = IntegrationKind.ALERTMANAGER, **kwargs: Any
    ) -> Configured:
        integration, token = services.integration_create(
            name=name, kind=kind, default_category=category, **kwargs
        )
        return Configured(integration, token)

    return make


@pytest.fixture
def alertmanager(make_integration) -> Configured:
    return make_integration()


@pytest.fixture
def events(make_integration) -> Configured:
    return make_integration(name="Zabbix", kind=IntegrationKind.EVENTS_V2)


@pytest.fixture
def post_alerts() -> Callable[..., Any]:
    """POST a webhook delivery as Alertmanager does: JSON with a bearer token."""

    def post(token: str | None, body: Any, *, raw: bytes | None = None) -> Any:
        client = APIClient()
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
        data = raw if raw is not None else json.dumps(body).encode()
        return client.generic("POST", ALERTMANAGER_URL, data, "application/json", **headers)

    return post


@pytest.fixture
def post_event() -> Callable[..., Any]:
    def post(routing_key: str | None, body: dict[str, Any]) -> Any:
        body = dict(body)
        if routing_key is None:
            body.pop("routing_key", None)
        else:
            body["routing_key"] = routing_key
        return APIClient().post(EVENTS_URL, body, format="json")

    return post
