"""DRF's throttles keyed on helpdesk.ratelimit.client_ip (HELPDESK_TRUSTED_PROXIES), counting
in a fixed window.

DRF's own `get_ident` trusts the whole X-Forwarded-For header while NUM_PROXIES is unset, so a
client could pick a new identity for every request. These classes use the one client-address
function shared with the HTML rate limits and django-axes.

DRF keeps, per client, the list of its request times in the cache: each request reads it,
drops the old ones and writes it back. That is two round trips and a list as long as the rate
(1,200 times for a busy integration) to unpickle and pickle on every request, and two
concurrent requests of one client both write back a list with only their own time, so a client
that sends in parallel was undercounted. Here each request adds one to a counter of the window
(`count_in_window`: atomic, one round trip on Redis); the window starts at the client's first
request and lasts the rate's period, and a refused request gets the seconds it has left.
"""

from typing import Any

from rest_framework import throttling
from rest_framework.request import Request

from helpdesk.ratelimit import client_ip, count_in_window


class ClientAddressMixin:
    def get_ident(self, request: Request) -> str:
        return client_ip(request._request)


class CountingRateThrottle(throttling.SimpleRateThrottle):
    # Not DRF's key: its value there is a list of times, which a counter cannot add to.
    cache_format = "throttle-count:%(scope)s:%(ident)s"
    num_requests: int  # (set by DRF from the rate; not in its stubs)
    duration: int
    left = 0

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        count, self.left = count_in_window(key, seconds=self.duration)
        return count <= self.num_requests

    def wait(self) -> float:
        return max(self.left, 1)


# DRF's classes say whose requests count together (and the scoped one which rate applies);
# CountingRateThrottle, after them in the method order, counts them.
class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle, CountingRateThrottle):
    pass


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle, CountingRateThrottle):
    pass


class ScopedRateThrottle(ClientAddressMixin, throttling.ScopedRateThrottle, CountingRateThrottle):
    pass
