"""Where chat messages may go: public addresses only, unless the operator allows more.

A manager types the webhook URL or the Matrix homeserver; the workers then send to it. Left
alone that is a server-side request forgery route: a channel pointing at 127.0.0.1, a private
network or the cloud metadata address (169.254.169.254) would make the workers call internal
services. So:

- when a channel is saved, a local name (`localhost`) or an internal address literal, in any
  spelling the resolver accepts (`127.1`, `2130706433`, `[::ffff:10.0.0.1]`), is refused
  (`host_is_refused`, no DNS lookup);
- when a message is sent, the host is resolved once, every address it resolves to is checked,
  and the connection goes only to a checked address (`guarded_opener`): a public name that
  resolves to a private address, or whose DNS answer changed since it was saved, is refused
  (`DestinationRefused`) before any packet is sent to it. Redirects are never followed, and no
  proxy from the environment is used (the checked address is the one connected to).

`HELPDESK_CHAT_ALLOWED_HOSTS` lets an on-premises install reach its own chat server: host names
(`chat.corp.example`; `.corp.example` also allows its subdomains), addresses or networks in CIDR
(`10.20.0.0/16`).
"""

import http.client
import ipaddress
import socket
import ssl
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Well-known NAT64 prefix (RFC 6052): the last 32 bits are the IPv4 address reached.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# The IANA special-purpose ranges, spelt out: `is_global` alone differs between Python versions
# (3.11 still calls 192.0.0.8 global).
_INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared (carrier-grade NAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, the cloud metadata address 169.254.169.254
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "::/96",  # unspecified, loopback, IPv4-compatible
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments (Teredo, ORCHID, …)
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local
        "ff00::/8",  # multicast
    )
)


class DestinationRefused(OSError):
    """The address is internal. An OSError, raised where the connection would be opened, so
    urllib reports it as it reports any connection failure (URLError, `reason` is this)."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64), whose rules apply."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_is_internal(address: IPAddress) -> bool:
    """Anything but a public unicast address: loopback, private (10/8, 172.16/12, 192.168/16,
    fc00::/7), link-local (169.254/16 with the metadata address, fe80::/10), shared (100.64/10),
    unspecified, documentation, reserved, multicast, site-local."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_is_internal(embedded)
    return (
        any(address.version == net.version and address in net for net in _INTERNAL_NETWORKS)
        or not address.is_global
        or address.is_multicast
        or address.is_reserved
    )


@dataclass(frozen=True)
class AllowedHosts:
    names: frozenset[str]
    suffixes: tuple[str, ...]
    networks: tuple[IPNetwork, ...]

    def allows_name(self, host: str) -> bool:
        host = _normal_name(host)
        return host in self.names or any(
            host == suffix[1:] or host.endswith(suffix) for suffix in self.suffixes
        )

    def allows_address(self, address: IPAddress) -> bool:
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address):
            embedded = _embedded_ipv4(address)
            if embedded is not None:
                candidates.append(embedded)
        return any(
            candidate.version == network.version and candidate in network
            for candidate in candidates
            for network in self.networks
        )


def _normal_name(host: str) -> str:
    return host.strip().lower().rstrip(".")


def allowed_hosts_parse(entries: Iterable[str]) -> AllowedHosts:
    """Host names, `.suffix` names, addresses and CIDR networks; ValueError for a bad network."""
    names: set[str] = set()
    suffixes: list[str] = []
    networks: list[IPNetwork] = []
    for raw in entries:
        entry = raw.strip().strip("[]")
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            if "/" in entry:
                raise ValueError(f"{raw!r} is not a network (e.g. 10.20.0.0/16)") from None
        name = _normal_name(entry)
        if name.startswith("."):
            suffixes.append(name)
        else:
            names.add(name)
    return AllowedHosts(frozenset(names), tuple(suffixes), tuple(networks))


def allowed_hosts() -> AllowedHosts:
    return allowed_hosts_parse(settings.HELPDESK_CHAT_ALLOWED_HOSTS)


def _refused(address: IPAddress, allowed: AllowedHosts) -> bool:
    return address_is_internal(address) and not allowed.allows_address(address)


def _numeric_addresses(host: str) -> list[IPAddress]:
    """The addresses an address literal stands for, as the resolver reads it (so `127.1`,
    `0x7f.0.0.1` and `2130706433` are all 127.0.0.1); none for a name. No DNS lookup."""
    literal = host.split("%", 1)[0]  # an IPv6 zone (`fe80::1%25eth0`) names no other address
    try:
        infos = socket.getaddrinfo(literal, None, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError, ValueError):
        try:  # the classic IPv4 spellings, where getaddrinfo is stricter than the resolver
            return [ipaddress.IPv4Address(socket.inet_aton(literal))]
        except (OSError, UnicodeError, ValueError):
            return []
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def host_is_refused(host: str) -> bool:
    """Save time (no DNS): a local name or an internal address literal the operator has not
    allowed. A name is checked again, resolved, when a message is sent."""
    allowed = allowed_hosts()
    if allowed.allows_name(host):
        return False
    name = _normal_name(host)
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback
        return True
    return any(_refused(address, allowed) for address in _numeric_addresses(name))


def _guarded_connection(
    address: tuple[str, int], timeout: Any = None, source_address: Any = None
) -> socket.socket:
    """socket.create_connection, but the host is resolved once, every address it resolves to
    must be public (or allowed), and only those checked addresses are connected to."""
    host, port = address
    allowed = allowed_hosts()
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    if not allowed.allows_name(host):
        for info in infos:
            resolved = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if _refused(resolved, allowed):
                # One internal answer refuses them all: a mixed answer is how rebinding starts.
                raise DestinationRefused(
                    f"{host} resolves to {resolved}, an internal address: not sent "
                    "(HELPDESK_CHAT_ALLOWED_HOSTS can allow it)"
                )
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            if isinstance(timeout, int | float):
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock
    raise error or OSError(f"{host} has no address")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_connection


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    # TLS still verifies the certificate against the host name (HTTPSConnection wraps the
    # socket with server_hostname=self.host).
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self) -> None:
        super().__init__()
        self._tls = ssl.create_default_context()

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPSConnection, req, context=self._tls)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook answers where it is: a 3xx is an HTTPError, never a second request (which
    could point anywhere, the metadata address included)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def guarded_opener() -> urllib.request.OpenerDirector:
    """An opener that sends only to public addresses (or allowed ones), follows no redirect
    and ignores proxy settings from the environment."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _HTTPHandler(), _HTTPSHandler(), _NoRedirects()
    )
