"""Where a form goes back to after a POST: the `next` it carries, when that is a path of this
site."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def same_site_path(request: HttpRequest, target: str, *, default: str) -> str:
    """`target` when it is a path on this site ("/…"), else `default`.

    Only a path: `redirect()` takes any other relative text ("abc") for a view name, and a
    `next` that was not a path was a NoReverseMatch (a 500) instead of going back."""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
