"""HELPDESK_TRUSTED_PROXIES: one client address for the DRF throttles, the form limits and axes."""

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from helpdesk.ratelimit import client_ip
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # our reverse proxy: what REMOTE_ADDR says behind it


def _token_attempts(forwarded_for: list[str], remote: str = "127.0.0.1") -> list[int]:
    client = APIClient()
    return [
        client.post(
            "/api/auth/token/",
            {"username": f"u{i}", "password": "x"},
            HTTP_X_FORWARDED_FOR=xff,
            REMOTE_ADDR=remote,
        ).status_code
        for i, xff in enumerate(forwarded_for)
    ]


def test_forged_forwarded_for_addresses_do_not_escape_the_token_throttle(settings):
    settings.AXES_ENABLED = False  # the throttle alone (10/min per address)
    codes = _token_attempts([f"198.51.100.{i}" for i in range(30)])
    assert codes[:10] == [400] * 10
    assert set(codes[10:]) == {429}


def test_behind_one_trusted_proxy_the_right_most_address_is_the_client(settings):
    settings.AXES_ENABLED = False
    settings.HELPDESK_TRUSTED_PROXIES = 1
    # The client writes whatever it likes on the left; our proxy appends the real address.
    codes = _token_attempts([f"198.51.100.{i}, 203.0.113.7" for i in range(30)], remote=PROXY)
    assert codes[:10] == [400] * 10
    assert set(codes[10:]) == {429}
    # Another client behind the same proxy has its own budget.
    assert _token_attempts(["203.0.113.8"], remote=PROXY) == [400]


@pytest.mark.parametrize(
    ("proxies", "xff", "expected"),
    [
        (0, "198.51.100.1", "10.0.0.2"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (3, "203.0.113.7", "203.0.113.7"),  # fewer entries than proxies: the left-most
        (1, "", "10.0.0.2"),  # a proxy that did not set the header
        (1, "not-an-address", "10.0.0.2"),  # garbage never becomes a key (or an axes row)
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(settings, proxies, xff, expected):
    settings.HELPDESK_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=xff)
    assert client_ip(request) == expected


def test_the_public_form_limit_keys_on_the_same_address(settings, category):
    settings.HELPDESK_RATE_PUBLIC_FORM = "2/3600"
    settings.HELPDESK_TRUSTED_PROXIES = 1
    client = Client()

    def submit(i: int, real: str) -> int:
        return client.post(
            "/new/",
            {
                "title": f"Help {i}",
                "description": "Nothing works.",
                "urgency": "low",
                "category": category.pk,
                "email": f"visitor{i}@example.org",
                "name": "Visitor",
            },
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, {real}",
            REMOTE_ADDR=PROXY,
        ).status_code

    assert [submit(i, "203.0.113.7") for i in range(3)] == [302, 302, 429]
    assert submit(3, "203.0.113.8") == 302
    assert Ticket.objects.count() == 3


def test_the_login_lockout_keys_on_the_same_address(settings, requester):
    settings.HELPDESK_TRUSTED_PROXIES = 1
    requester.set_password("right-password-123")
    requester.save()
    client = Client()

    def login(password: str, real: str, forged: str = "198.51.100.1") -> int:
        return client.post(
            "/accounts/login/",
            {"username": "requester", "password": password},
            HTTP_X_FORWARDED_FOR=f"{forged}, {real}",
            REMOTE_ADDR=PROXY,
        ).status_code

    for i in range(settings.AXES_FAILURE_LIMIT):
        login("bad", "203.0.113.7", forged=f"198.51.100.{i}")
    assert login("right-password-123", "203.0.113.7") == 429
    # The lockout is per username and client address: the same account from elsewhere is fine.
    assert login("right-password-123", "203.0.113.8") == 302


def test_without_trusted_proxies_forged_addresses_share_the_lockout(settings, requester):
    requester.set_password("right-password-123")
    requester.save()
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/",
            {"username": "requester", "password": "bad"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        )
    response = client.post(
        "/accounts/login/",
        {"username": "requester", "password": "right-password-123"},
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )
    assert response.status_code == 429
