"""A form sent by someone signed out meanwhile (in another tab, or their session timed out).

`login_required` answered its POST with the login page, then the form's address empty: what
was typed was lost without a word. `login_required_keeping(*fields)` keeps those fields in the
visitor's session (Django's login keeps an anonymous session's data) and says so on the login
page; after signing in, the form's GET reads them back, once, with `typed_before_signing_out`.
"""

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

KEPT = "helpdesk:signed-out-form"
MAX_FIELD_LENGTH = 100_000  # more than any form takes: the form refuses the rest, as before


def login_required_keeping(
    *fields: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.is_authenticated:
                return view(request, *args, **kwargs)
            if request.method == "POST":
                keep_for_sign_in(request, fields)
            return redirect_to_login(request.get_full_path())

        return wrapped

    return decorate


def keep_for_sign_in(
    request: HttpRequest,
    fields: Iterable[str],
    *,
    max_length: int = MAX_FIELD_LENGTH,
    said: str = "",
) -> None:
    """Keep these fields of a POST sent signed out for the form at its address, and say so on
    the login page (`said`: the form's own words for it)."""
    typed = {name: request.POST[name][:max_length] for name in fields if name in request.POST}
    request.session[KEPT] = {"path": request.path, "fields": typed}
    messages.warning(
        request,
        said
        or _(
            "You were signed out, so this form was not sent. Sign in again: what "
            "you wrote will be back in it."
        ),
    )


def typed_before_signing_out(request: HttpRequest, *, said: str = "") -> dict[str, str]:
    """What `keep_for_sign_in` kept for the form at this address (once), else nothing; `said`:
    the form's own words for it."""
    kept = request.session.get(KEPT) if request.method == "GET" else None
    if not isinstance(kept, dict) or kept.get("path") != request.path:
        return {}
    del request.session[KEPT]
    messages.info(request, said or _("What you wrote was not sent yet: it is in the form below."))
    return dict(kept.get("fields") or {})
