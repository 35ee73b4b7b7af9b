"""The login lockout backend: django-axes, tolerant of calls without a request."""

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """Counts and refuses failures per username and address (django-axes).

    Internal callers without a request (management commands, checks) have no address to count
    and are not a brute-force channel: they fall through to the password backend.
    """

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
