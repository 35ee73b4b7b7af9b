"""Server-side request forgery: a channel never makes the workers call an internal address.

Refused when a channel is saved (pages, API, admin: a literal internal address or a local
name), and again when it sends, after DNS resolution (a public name that resolves inside, or
whose answer changed since), with no redirect followed. HELPDESK_CHAT_ALLOWED_HOSTS lets an
operator allow an internal chat server.
"""

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from unittest import mock

import pytest

from chat import services
from chat.destinations import address_is_internal, allowed_hosts_parse
from chat.models import ChatChannel, ChatDelivery, ChatDeliveryStatus, ChatEvent, Platform
from escalation.models import Tier
from helpdesk.errors import DomainError
from tests.chat.conftest import ALL_EVENTS

pytestmark = pytest.mark.django_db

INTERNAL_V4 = [
    "127.0.0.1",  # loopback
    "127.255.0.9",
    "0.0.0.0",  # noqa: S104 (an address under test, not a bind)
    "10.0.0.1",  # private
    "10.255.255.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",  # link-local: the cloud metadata address
    "169.254.0.1",
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "192.0.0.8",
    "198.18.0.1",  # benchmarking
    "192.0.2.1",  # documentation
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",
]
INTERNAL_V6 = [
    "::1",  # loopback
    "::",  # unspecified
    "fc00::1",  # unique local
    "fd00:ec2::254",  # the metadata address over IPv6 (AWS)
    "fe80::1",  # link-local
    "fec0::1",  # site-local (deprecated, still internal)
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2002:0a00:0001::1",  # 6to4 of 10.0.0.1
]
PUBLIC = ["8.8.8.8", "93.184.216.34", "2001:4860:4860::8888", "64:ff9b::808:808"]

# Spellings of an internal address that the resolver reads as one (no DNS involved).
INTERNAL_URLS = [
    "http://127.0.0.1/hook",
    "http://127.1:8080/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one number
    "http://0x7f.0.0.1/hook",
    "http://0/hook",
    "http://10.0.0.5/hook",
    "https://172.20.1.1/hook",
    "https://192.168.0.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8008/hook",
    "http://[fc00::5]/hook",
    "http://[fd12:3456::1]/hook",
    "http://[fe80::1%25eth0]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://localhost:8000/hook",
    "http://LOCALHOST./hook",
    "http://api.localhost/hook",
]


@pytest.mark.parametrize("address", INTERNAL_V4 + INTERNAL_V6)
def test_every_internal_range_is_internal(address):
    assert address_is_internal(ipaddress.ip_address(address)) is True


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_not(address):
    assert address_is_internal(ipaddress.ip_address(address)) is False


def test_the_allow_list_reads_names_suffixes_addresses_and_networks():
    allowed = allowed_hosts_parse(
        ["Chat.Corp.Example", ".lab.example", "10.20.0.0/16", "192.168.1.5", "[fd00::1]"]
    )
    assert allowed.allows_name("chat.corp.example.") and allowed.allows_name("x.lab.example")
    assert allowed.allows_name("lab.example") and not allowed.allows_name("corp.example")
    assert allowed.allows_address(ipaddress.ip_address("10.20.3.4"))
    assert allowed.allows_address(ipaddress.ip_address("::ffff:10.20.3.4"))
    assert allowed.allows_address(ipaddress.ip_address("fd00::1"))
    assert not allowed.allows_address(ipaddress.ip_address("10.21.0.1"))
    assert not allowed.allows_address(ipaddress.ip_address("192.168.1.6"))
    with pytest.raises(ValueError, match="not a network"):
        allowed_hosts_parse(["10.0.0.0/33"])


# --- when a channel is saved -------------------------------------------------------------------


def _save(manager, groups, *, platform=Platform.SLACK, secret="", homeserver="", name="Room"):
    return services.chat_channel_save(
        actor=manager,
        channel=None,
        name=name,
        support_group=groups[Tier.L1],
        platform=platform,
        events=ALL_EVENTS,
        language="en",
        is_enabled=True,
        homeserver=homeserver,
        room_id="!room:example.org" if platform == Platform.MATRIX else "",
        secret=secret or ("syt_token" if platform == Platform.MATRIX else ""),
    )


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_a_webhook_url_inside_the_network_is_refused(manager, groups, url):
    with pytest.raises(DomainError, match="inside the server's own network") as refused:
        _save(manager, groups, secret=url)
    assert refused.value.field == "secret"
    assert not ChatChannel.objects.exists()


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_a_matrix_homeserver_inside_the_network_is_refused(manager, groups, url):
    with pytest.raises(DomainError, match="inside the server's own network") as refused:
        _save(manager, groups, platform=Platform.MATRIX, homeserver=url)
    assert refused.value.field == "homeserver"


def test_public_addresses_and_names_are_accepted(manager, groups):
    # Names are not resolved when saved (checked when sending): .invalid never resolves.
    for url in [
        "https://hooks.slack.invalid/services/x",
        "https://8.8.8.8/x",
        "https://[2001:4860::1]/x",
    ]:
        _save(manager, groups, secret=url, name=url)
    assert ChatChannel.objects.count() == 3


def test_the_operator_allows_an_internal_chat_server(manager, groups, settings):
    settings.HELPDESK_CHAT_ALLOWED_HOSTS = ["10.20.0.0/16", "localhost", ".corp.example"]

    assert _save(manager, groups, secret="http://10.20.1.1/hook").pk
    ChatChannel.objects.all().delete()
    assert _save(manager, groups, platform=Platform.MATRIX, homeserver="http://localhost:8008").pk
    # One allowed network allows no other.
    with pytest.raises(DomainError, match="inside the server's own network"):
        _save(manager, groups, secret="http://10.21.1.1/hook")
    with pytest.raises(DomainError, match="inside the server's own network"):
        _save(manager, groups, secret="http://127.0.0.1/hook")


# --- when a message is sent, after DNS resolution ----------------------------------------------


@dataclass
class FakeNetwork:
    """A resolver answering for the names in `answers` (one list per lookup, the last one
    repeating), and a record of every connection attempted to an http(s) port: none is made
    (each is refused)."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    connects: list[str] = field(default_factory=list)


@pytest.fixture
def network() -> Iterator[FakeNetwork]:
    fake = FakeNetwork()
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host not in fake.answers or flags & socket.AI_NUMERICHOST:
            return real_getaddrinfo(host, port, family, type, proto, flags)
        fake.lookups.append(host)
        queue = fake.answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
            if ":" in address
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in addresses
        ]

    real_connect = socket.socket.connect

    def connect(sock, address):
        if address[1] not in (80, 443):
            return real_connect(sock, address)  # the test's own services (Redis)
        fake.connects.append(address[0])
        raise ConnectionRefusedError(111, "Connection refused (fake network)")

    with (
        mock.patch("socket.getaddrinfo", side_effect=getaddrinfo),
        mock.patch.object(socket.socket, "connect", connect),
    ):
        yield fake


@pytest.fixture
def send(manager, groups) -> Callable[..., ChatDelivery]:
    """Save a channel to `url`, queue a test message, send it: the row afterwards."""

    def send_to(url: str, platform: str = Platform.SLACK) -> ChatDelivery:
        channel = ChatChannel.objects.first() or _save(
            manager,
            groups,
            platform=platform,
            secret=url if platform != Platform.MATRIX else "",
            homeserver=url if platform == Platform.MATRIX else "",
        )
        row = services.chat_channel_send_test(actor=manager, channel=channel)
        services.chat_delivery_deliver(delivery_id=row.pk)
        row.refresh_from_db()
        return row

    return send_to


@pytest.mark.parametrize("address", INTERNAL_V4 + INTERNAL_V6)
def test_a_name_that_resolves_inside_is_never_connected_to(network, send, address, caplog):
    network.answers["chat.example.com"] = [[address]]

    with caplog.at_level(logging.ERROR, logger="chat.services"):
        row = send("https://chat.example.com/services/T1/B1/secretXYZ")

    assert network.connects == []
    assert (row.status, row.attempts, row.next_attempt_at) == (ChatDeliveryStatus.FAILED, 1, None)
    assert row.last_error.startswith("refused: chat.example.com resolves to")
    assert (
        "an internal address" in row.last_error and "HELPDESK_CHAT_ALLOWED_HOSTS" in row.last_error
    )
    assert "secretXYZ" not in row.last_error
    assert any("internal address" in record.getMessage() for record in caplog.records)


def test_a_matrix_homeserver_that_resolves_inside_is_never_connected_to(network, send):
    network.answers["matrix.example.org"] = [["10.0.0.7"]]

    row = send("https://matrix.example.org", platform=Platform.MATRIX)

    assert network.connects == []
    assert row.status == ChatDeliveryStatus.FAILED and "10.0.0.7" in row.last_error


def test_one_internal_answer_among_public_ones_refuses_the_send(network, send):
    network.answers["chat.example.com"] = [["93.184.216.34", "10.0.0.1"]]

    row = send("https://chat.example.com/hook")

    assert network.connects == []
    assert row.status == ChatDeliveryStatus.FAILED and "10.0.0.1" in row.last_error


def test_dns_rebinding_cannot_slip_between_the_check_and_the_connection(network, send):
    """Resolved once: the connection goes to the address that was checked, not to a second
    answer (here internal) of the same name."""
    network.answers["chat.example.com"] = [["93.184.216.34"], ["127.0.0.1"]]

    row = send("https://chat.example.com/hook")

    assert network.lookups == ["chat.example.com"]
    assert network.connects == ["93.184.216.34"]
    # A connection failure like any other: kept for a retry.
    assert row.status == ChatDeliveryStatus.PENDING and "refused" in row.last_error.lower()


def test_a_channel_saved_public_then_pointing_inside_is_refused_at_send_time(network, send):
    network.answers["chat.example.com"] = [["93.184.216.34"]]
    first = send("https://chat.example.com/hook")
    network.answers["chat.example.com"] = [["169.254.169.254"]]  # the DNS answer changed

    second = send("https://chat.example.com/hook")

    assert network.connects == ["93.184.216.34"]
    assert first.status == ChatDeliveryStatus.PENDING
    assert second.status == ChatDeliveryStatus.FAILED and "169.254.169.254" in second.last_error


def test_an_internal_address_saved_before_the_check_existed_is_refused_at_send_time(
    network, send, manager, groups
):
    channel = _save(manager, groups, secret="https://hooks.slack.invalid/x")
    from chat.crypto import secret_seal

    channel.secret_encrypted = secret_seal("http://169.254.169.254/latest/meta-data/")
    channel.save()

    row = send("")

    assert network.connects == []
    assert row.status == ChatDeliveryStatus.FAILED and "169.254.169.254" in row.last_error


@pytest.mark.parametrize(
    ("allowed", "name", "address"),
    [
        (["10.0.0.0/8"], "chat.corp.example", "10.1.2.3"),
        (["10.1.2.3"], "chat.corp.example", "10.1.2.3"),
        (["chat.corp.example"], "chat.corp.example", "192.168.7.7"),
        ([".corp.example"], "matrix.corp.example", "fd00::7"),
        (["fd00::/8"], "matrix.corp.example", "fd00::7"),
    ],
)
def test_the_operator_allows_its_own_chat_server(network, send, settings, allowed, name, address):
    settings.HELPDESK_CHAT_ALLOWED_HOSTS = allowed
    network.answers[name] = [[address]]

    row = send(f"https://{name}/hook")

    assert network.connects == [address]  # sent (the fake network refuses it)
    assert row.status == ChatDeliveryStatus.PENDING and "refused:" not in row.last_error


def test_an_allowed_network_allows_no_other(network, send, settings):
    settings.HELPDESK_CHAT_ALLOWED_HOSTS = ["10.0.0.0/8"]
    network.answers["chat.example.com"] = [["192.168.1.1"]]

    row = send("https://chat.example.com/hook")

    assert network.connects == [] and row.status == ChatDeliveryStatus.FAILED


def test_a_public_address_is_sent_to(network, send):
    network.answers["hooks.example.com"] = [["2001:4860:4860::8888"]]

    row = send("https://hooks.example.com/hook")

    assert network.connects == ["2001:4860:4860::8888"]
    assert row.status == ChatDeliveryStatus.PENDING


# --- redirects ---------------------------------------------------------------------------------


@pytest.fixture
def connects_only_to_loopback() -> Iterator[list[str]]:
    """Every connection attempted; only loopback (the receiver) is really connected."""
    attempted: list[str] = []
    real_connect = socket.socket.connect

    def connect(sock, address):
        attempted.append(address[0])
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(111, "Connection refused (test)")
        return real_connect(sock, address)

    with mock.patch.object(socket.socket, "connect", connect):
        yield attempted


@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/admin", "/elsewhere"],
)
@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed(
    make_channel, manager, receiver, connects_only_to_loopback, location, code
):
    channel = make_channel(Platform.SLACK)
    receiver.statuses = [code]
    receiver.headers = {"Location": location}
    row = services.chat_channel_send_test(actor=manager, channel=channel)

    assert services.chat_delivery_deliver(delivery_id=row.pk) is False

    assert len(receiver.requests) == 1  # not even to the receiver itself
    assert set(connects_only_to_loopback) == {"127.0.0.1"}
    row.refresh_from_db()
    assert (row.status, row.last_error) == (
        ChatDeliveryStatus.FAILED,
        f"HTTP {code}: a redirect, not followed",
    )


# --- the pages, the API and the admin ----------------------------------------------------------

METADATA = "http://169.254.169.254/latest/meta-data/"
REFUSED_EN = "This address is inside the server&#x27;s own network"
REFUSED_ES = "Esta dirección está dentro de la red del propio servidor"


def _form(groups, **overrides):
    return {
        "name": "Ops room",
        "support_group": groups[Tier.L1].pk,
        "platform": Platform.SLACK,
        "secret": METADATA,
        "events": [ChatEvent.HIGH_PRIORITY],
        "language": "en",
        "is_enabled": "on",
        **overrides,
    }


def test_the_page_shows_the_refusal_and_keeps_what_was_typed(client, manager, groups):
    client.force_login(manager)

    response = client.post("/chat/new/", _form(groups))

    assert response.status_code == 400
    page = response.content.decode()
    assert REFUSED_EN in page
    assert 'value="Ops room"' in page  # the typed name is kept
    assert "169.254.169.254" not in page  # the secret (the webhook URL) is never echoed
    assert not ChatChannel.objects.exists()


def test_the_page_refuses_an_internal_homeserver_in_spanish_and_keeps_it(client, manager, groups):
    manager.language = "es"
    manager.save()
    client.force_login(manager)

    response = client.post(
        "/chat/new/",
        _form(
            groups,
            platform=Platform.MATRIX,
            secret="syt_token",
            homeserver="http://[::1]:8008",
            room_id="!room:example.org",
        ),
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert REFUSED_ES in page
    assert 'value="http://[::1]:8008"' in page and 'value="!room:example.org"' in page
    assert not ChatChannel.objects.exists()


def test_the_page_refuses_a_change_to_an_internal_address(client, manager, make_channel, groups):
    channel = make_channel(Platform.SLACK, url="https://hooks.slack.invalid/x")
    client.force_login(manager)

    # The receiver fixture allows 127.0.0.1 only: 10/8 is still refused.
    response = client.post(f"/chat/{channel.pk}/", _form(groups, secret="http://10.1.1.1/x"))

    assert response.status_code == 400 and REFUSED_EN in response.content.decode()
    channel.refresh_from_db()
    from chat.crypto import secret_open

    assert secret_open(channel.secret_encrypted) == "https://hooks.slack.invalid/x"


@pytest.mark.parametrize(
    ("body", "field_name"),
    [
        ({"secret": "http://10.0.0.5/hook"}, "secret"),
        ({"secret": "http://[fe80::1]/hook"}, "secret"),
        (
            {"platform": "matrix", "secret": "tok", "homeserver": "http://192.168.1.2:8008"},
            "homeserver",
        ),
    ],
)
def test_the_api_refuses_with_a_400_naming_the_field(api, manager, groups, body, field_name):
    response = api(manager).post(
        "/api/chat/channels/",
        {
            "name": "Ops",
            "support_group": groups[Tier.L1].pk,
            "platform": "slack",
            "room_id": "!room:example.org",
            "events": ["high_priority"],
            **body,
        },
        format="json",
    )

    assert response.status_code == 400, response.content
    data = response.json()
    assert data["message"].startswith("This address is inside the server's own network")
    assert data["errors"] == {field_name: [data["message"]]}
    assert not ChatChannel.objects.exists()


def test_the_api_refusal_is_in_the_requested_language(api, manager, groups):
    response = api(manager).post(
        "/api/chat/channels/",
        {
            "name": "Ops",
            "support_group": groups[Tier.L1].pk,
            "platform": "teams",
            "secret": "http://localhost:8080/x",
            "events": ["high_priority"],
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="es",
    )

    assert response.status_code == 400
    assert response.json()["message"].startswith(REFUSED_ES)


@pytest.fixture
def admin_client(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _admin_form(groups, **overrides):
    return {
        "name": "Ops",
        "support_group": groups[Tier.L1].pk,
        "platform": "slack",
        "homeserver": "",
        "room_id": "",
        "events": ["high_priority"],
        "language": "en",
        "is_enabled": "on",
        "secret": METADATA,
        **overrides,
    }


def test_the_admin_refuses_an_internal_webhook_url(admin_client, groups):
    response = admin_client.post("/admin/chat/chatchannel/add/", _admin_form(groups))

    assert response.status_code == 200  # the form again, with its error
    assert REFUSED_EN in response.content.decode()
    assert not ChatChannel.objects.exists()


def test_the_admin_refuses_an_internal_homeserver(admin_client, groups):
    response = admin_client.post(
        "/admin/chat/chatchannel/add/",
        _admin_form(
            groups,
            platform="matrix",
            secret="syt_token",
            homeserver="http://169.254.169.254",
            room_id="!room:example.org",
        ),
    )

    assert response.status_code == 200 and REFUSED_EN in response.content.decode()
    assert not ChatChannel.objects.exists()


def test_the_admin_saves_a_public_address_and_an_allowed_one(admin_client, groups, settings):
    response = admin_client.post(
        "/admin/chat/chatchannel/add/", _admin_form(groups, secret="https://hooks.slack.invalid/x")
    )
    assert response.status_code == 302, response.content.decode()[-3000:]

    settings.HELPDESK_CHAT_ALLOWED_HOSTS = ["169.254.169.254"]
    response = admin_client.post(
        "/admin/chat/chatchannel/add/", _admin_form(groups, name="Allowed")
    )
    assert response.status_code == 302
    assert ChatChannel.objects.count() == 2


def test_the_admin_asks_for_a_new_secret_when_the_platform_changes(
    admin_client, groups, make_channel
):
    """A Matrix token kept across a change to Slack would be sent to as a webhook URL."""
    channel = make_channel(Platform.MATRIX)

    response = admin_client.post(
        f"/admin/chat/chatchannel/{channel.pk}/change/",
        _admin_form(groups, name=channel.name, secret=""),
    )

    assert response.status_code == 200
    assert "Enter the webhook URL or the access token." in response.content.decode()
    channel.refresh_from_db()
    assert channel.platform == Platform.MATRIX
