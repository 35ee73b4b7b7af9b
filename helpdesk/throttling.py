"""DRF's throttles keyed on helpdesk.ratelimit.client_ip (HELPDESK_TRUSTED_PROXIES).

DRF's own `get_ident` trusts the whole X-Forwarded-For header while NUM_PROXIES is unset, so a
client could pick a new identity for every request. These classes use the one client-address
function shared with the HTML rate limits and django-axes.
"""

from rest_framework import throttling
from rest_framework.request import Request

from helpdesk.ratelimit import client_ip


class ClientAddressMixin:
    def get_ident(self, request: Request) -> str:
        return client_ip(request._request)


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientAddressMixin, throttling.ScopedRateThrottle):
    pass
