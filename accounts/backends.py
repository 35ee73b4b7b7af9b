"""The login lockout backend: django-axes, tolerant of calls without a request."""

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest

from accounts.models import normalize_identity


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


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The user name django-axes counts failures against (AXES_USERNAME_CALLABLE).

    Normalised as the sign-in looks users up, so `Requester`, `REQUESTER` and a full-width
    spelling share one failure count instead of each getting its own five attempts.
    """
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    return normalize_identity(str(raw or ""))
