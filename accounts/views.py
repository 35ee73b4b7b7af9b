"""Sign-up, password change and reset, the profile (preferences, API tokens), the language
switcher."""

import contextlib
import hashlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts import services
from accounts.forms import (
    ApiTokenForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    PreferencesForm,
    SetPasswordForm,
    SignUpForm,
)
from accounts.models import ApiToken, User
from accounts.selectors import api_tokens_of
from helpdesk import ratelimit
from helpdesk.errors import DomainError
from helpdesk.text import isolated
from idempotency.services import FORM_FIELD, DuplicateSubmission, form_key_claim, owner_for

# --- sign-up and password reset: the same answer whatever the address --------------------------


def _account_email(request: HttpRequest, *, purpose: str, email: str, **extra: str) -> bool:
    """Count the rate limits and publish the email; False when this client is over its budget.

    Per client address (HELPDESK_RATE_ACCOUNT_EMAILS) the page answers 429; per email address
    (HELPDESK_RATE_ACCOUNT_EMAILS_PER_ADDRESS) nothing more is sent in the window but the page
    is the same, so a third party cannot flood someone's inbox nor learn anything. The address
    itself is looked up by the worker, never here.
    """
    rate = str(settings.HELPDESK_RATE_ACCOUNT_EMAILS)
    if ratelimit.exceeded("account-email", request, rate=rate):
        return False
    ratelimit.hit("account-email", request, rate=rate)
    per_address = str(settings.HELPDESK_RATE_ACCOUNT_EMAILS_PER_ADDRESS)
    ident = hashlib.sha256(email.encode()).hexdigest()
    if ratelimit.hit("account-address", request, rate=per_address, ident=ident) <= (
        ratelimit.limit_of(per_address)
    ):
        services.account_email_publish(purpose=purpose, email=email, **extra)
    return True


class RefusedFormAnswers400:
    """A refused form answers 400 with its errors, as every other form of the app does
    (Django's views answer 200, which scripts and monitors read as success)."""

    def form_invalid(self, form: Any) -> HttpResponse:
        response: HttpResponse = super().form_invalid(form)  # type: ignore[misc]
        response.status_code = 400
        return response


def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    initial = {"language": translation.get_language() or "en"}
    form = SignUpForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if not _account_email(
            request,
            purpose=services.AccountEmail.SIGN_UP,
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
            language=form.cleaned_data["language"],
        ):
            return ratelimit.too_many_requests(request, rate=settings.HELPDESK_RATE_ACCOUNT_EMAILS)
        return redirect("signup_done")
    status = 400 if form.is_bound else 200
    return render(request, "registration/signup.html", {"form": form}, status=status)


def sign_up_done(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/signup_done.html")


class PasswordResetView(RefusedFormAnswers400, auth_views.PasswordResetView):
    """Django's view; the email goes through the outbox in the holder's language."""

    form_class = PasswordResetRequestForm  # type: ignore[assignment]

    def form_valid(self, form: Any) -> HttpResponse:
        if not _account_email(
            self.request,
            purpose=services.AccountEmail.PASSWORD_RESET,
            email=form.cleaned_data["email"],
        ):
            return ratelimit.too_many_requests(
                self.request, rate=settings.HELPDESK_RATE_ACCOUNT_EMAILS
            )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(RefusedFormAnswers400, auth_views.PasswordResetConfirmView):
    """Django's view and token generator: the link chooses a password and signs the user in.

    The same link finishes a sign-up (an account without a password yet).
    """

    form_class = SetPasswordForm
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        translation.activate(form.user.language)
        _set_language_cookie(response, form.user.language)
        return response


class PasswordChangeView(RefusedFormAnswers400, auth_views.PasswordChangeView):
    """Django's view: the current session stays signed in, every other session and every API
    token of the user stop working (accounts.validators)."""

    form_class = PasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PreferencesForm(
        request.POST or None, initial={"language": user.language, "time_zone": user.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_preferences(
                user=user,
                language=form.cleaned_data["language"],
                time_zone=form.cleaned_data["time_zone"],
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            translation.activate(user.language)
            messages.success(request, _("Your preferences are saved."))
            response = redirect("profile")
            _set_language_cookie(response, user.language)
            return response
    return _profile_page(request, form=form, status=400 if form.errors else 200)


def _profile_page(
    request: HttpRequest,
    *,
    form: PreferencesForm | None = None,
    token_form: ApiTokenForm | None = None,
    new_key: str = "",
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context = {
        "form": form
        or PreferencesForm(initial={"language": user.language, "time_zone": user.time_zone}),
        "token_form": token_form or ApiTokenForm(),
        "tokens": api_tokens_of(user=user),
        "new_key": new_key,
        "token_ttl_days": settings.HELPDESK_TOKEN_TTL_DAYS,
        "now": timezone.now(),
    }
    response = render(request, "accounts/profile.html", context, status=status)
    if new_key:
        add_never_cache_headers(response)  # the key is shown once: no cache keeps a copy
    return response


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """A new API token; its key is on this response only (never stored, never shown again)."""
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            # The answer shows the key instead of redirecting, so @idempotent_form would free
            # the form's key: a reload of this page, or a double click, made a second token
            # nobody ever saw. The key is claimed here and kept once the token is made.
            with transaction.atomic():
                claim = form_key_claim(
                    owner=owner_for(request), key=request.POST.get(FORM_FIELD, "")
                )
                token, key = services.api_token_issue(
                    user=request.user,  # type: ignore[arg-type]
                    name=form.cleaned_data["name"],
                    expires_in_days=form.cleaned_data["expires_in_days"],
                )
                claim.done(result_url=f"{reverse('profile')}#api-tokens")
        except DuplicateSubmission as duplicate:
            messages.info(
                request,
                _(
                    "This form was already sent: the token was created once, and its key was "
                    "shown only then. If you did not copy it, revoke it and create another."
                ),
            )
            return redirect(duplicate.result_url or reverse("profile"))
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                _("Token “%(name)s” created. Copy it now: it will not be shown again.")
                % {"name": isolated(token.name)},
            )
            return _profile_page(request, new_key=key)
    return _profile_page(request, token_form=form, status=400)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """The list's Revoke button asks first (`confirm` absent): one slip revoked a token at once,
    and every script using it failed from its next request until a new key was deployed."""
    if request.POST.get("confirm") != "1":
        token = api_tokens_of(user=request.user).filter(pk=pk).first()  # type: ignore[arg-type]
        if token is None:
            raise Http404
        return render(request, "accounts/token_confirm_revoke.html", {"token": token})
    try:
        services.api_token_revoke(user=request.user, token_id=pk)  # type: ignore[arg-type]
    except ApiToken.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The token is revoked."))
    return redirect("profile")


# A language chosen while signed out, kept in the browser's session until someone signs in there.
CHOSEN_LANGUAGE_KEY = "language_chosen"


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, and the choice remembered on the signed-in user. Signed out (a
    tracking link, the sign-in page) the choice also waits in the session for the sign-in: the
    profile's language took over there, so the page someone had just switched to Spanish came
    back in English once they signed in."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        # An unknown language is ignored, as set_language does.
        with contextlib.suppress(DomainError):
            services.user_set_preferences(user=request.user, language=language)  # type: ignore[arg-type]
    elif language in dict(settings.LANGUAGES):
        request.session[CHOSEN_LANGUAGE_KEY] = language
    return set_language(request)


class LoginView(RefusedFormAnswers400, auth_views.LoginView):
    """Django's view; the language chosen just before signing in, in this browser, becomes the
    user's (as the switcher does when signed in), and the cookie follows the user's language so
    the pages after signing out agree with the last ones."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)  # login() keeps the signed-out session's data
        user: User = form.get_user()
        chosen = self.request.session.pop(CHOSEN_LANGUAGE_KEY, None)
        if chosen and chosen != user.language:
            with contextlib.suppress(DomainError):
                services.user_set_preferences(user=user, language=chosen)
        translation.activate(user.language)
        _set_language_cookie(response, user.language)
        return response


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


# The fields that hold what someone writes (after any form prefix), never the hidden ones.
_TYPED_FIELDS = frozenset({"title", "description", "body", "summary", "reason", "notes"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent with a stale token (signed in again in another tab, the cookie gone): nothing
    was saved. The page said to go Back and copy the text, but the reply box is not restored
    by the browser (autocomplete=off, so a sent reply is not offered again): what was typed is
    shown here to copy. Only for a form of this site (its Origin header, which a page elsewhere
    cannot set), so no other site can put words on this page."""
    origin = request.META.get("HTTP_ORIGIN", "")
    texts = []
    if origin and origin == f"{request.scheme}://{request.get_host()}":
        texts = [
            value
            for key in request.POST
            if key.rpartition("-")[2] in _TYPED_FIELDS and (value := request.POST[key]).strip()
        ]
    return render(request, "403_csrf.html", {"texts": texts}, status=403)
