"""Reading settings from the environment, failing loudly on values that cannot be parsed."""

import ipaddress
import os
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "an integer")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


N = TypeVar("N", int, float)


def _env_number(name: str, default: N, parse: Callable[[str], N], kind: str) -> N:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {kind}, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_hosts(name: str, default: list[str]) -> list[str]:
    """A comma-separated list of host names, addresses and CIDR networks; an entry with a `/`
    must be a network (a typo there would otherwise allow nothing, or too much, silently)."""
    entries = env_list(name, default)
    for entry in entries:
        if "/" in entry:
            try:
                ipaddress.ip_network(entry.strip("[]"), strict=False)
            except ValueError:
                raise ImproperlyConfigured(
                    f"{name}: {entry!r} is not a network (e.g. 10.20.0.0/16)"
                ) from None
    return entries


def base_url_from_env() -> str:
    """Where people reach the site, for the links in emails and what `make run` prints.

    HELPDESK_BASE_URL when set (HELPDESK_SITE_URL, its old name, still works); otherwise
    http://HOST:PORT as `make run` serves it (a server listening on every address is reached
    as localhost).
    """
    explicit = os.environ.get("HELPDESK_BASE_URL") or os.environ.get("HELPDESK_SITE_URL")
    if explicit:
        return explicit.rstrip("/")
    host = env_str("HOST", "127.0.0.1") or "127.0.0.1"
    if host in ("0.0.0.0", "::", "[::]"):  # noqa: S104 (a name for the link, not a bind)
        host = "localhost"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal in a URL
    return f"http://{host}:{env_int('PORT', 8000)}"
