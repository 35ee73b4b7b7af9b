import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from accounts.models import User


def activate_time_zone(user: User) -> None:
    """Dates and periods in the user's time zone for the rest of the request (the middleware
    deactivates it after the response). Also called by the API's token authentication, which
    runs after this middleware saw an anonymous request."""
    try:
        timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()


class UserPreferencesMiddleware:
    """Activates the signed-in user's remembered language and time zone for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language  # type: ignore[attr-defined]
            activate_time_zone(user)
        response = self.get_response(request)
        timezone.deactivate()
        return response
