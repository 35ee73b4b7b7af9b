"""HELPDESK_CHAT_ALLOWED_HOSTS is read loudly: a malformed network stops the start-up."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from helpdesk.env import env_hosts


def test_names_addresses_and_networks_are_read(monkeypatch):
    monkeypatch.setenv("X_HOSTS", " chat.corp.example, .lab.example ,10.20.0.0/16,fd00::1,")

    assert env_hosts("X_HOSTS", []) == [
        "chat.corp.example",
        ".lab.example",
        "10.20.0.0/16",
        "fd00::1",
    ]


def test_unset_is_the_default(monkeypatch):
    monkeypatch.delenv("X_HOSTS", raising=False)

    assert env_hosts("X_HOSTS", []) == []


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "chat.corp/16", "10.0.0.0/"])
def test_a_malformed_network_fails_loudly(monkeypatch, entry):
    monkeypatch.setenv("X_HOSTS", f"chat.corp.example,{entry}")

    with pytest.raises(ImproperlyConfigured, match=f"X_HOSTS: '{entry}' is not a network"):
        env_hosts("X_HOSTS", [])
