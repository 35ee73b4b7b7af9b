"""Writes to accounts: sign-up, password reset emails, preferences and API tokens."""

import logging
import secrets
import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.models import TOKEN_USE_PRECISION, ApiToken, Role, User, api_token_hash
from helpdesk.celery import TaskSlot
from helpdesk.errors import DomainError
from notifications.models import Notification, NotificationKind
from notifications.services import notification_enqueue, register_context_builder

logger = logging.getLogger(__name__)


# --- sign-up and password reset: account emails --------------------------------------------------
#
# Neither page may tell whether an address has an account. The request validates the form,
# counts the rate limits and publishes one task (account_email_publish); the worker looks the
# address up and writes the outbox row (account_email_send). So the request does the same work,
# in the same time, whatever the answer, and the page is the same "check your inbox".


class AccountEmail:
    """What the person asked for (the task's `purpose`)."""

    SIGN_UP = "sign_up"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a password


# The task that sends it: accounts.tasks builds on this module, so accounts.apps plugs it in.
SEND_EMAIL = TaskSlot("accounts.tasks.send_account_email")


def account_email_publish(
    *, purpose: str, email: str, name: str = "", language: str = "", cause: str = ""
) -> None:
    """Hand the account email to a worker (after commit). With the broker down it runs here:
    the email is not lost, at the price of a timing difference while the outage lasts."""
    send_account_email = SEND_EMAIL.get()
    kwargs = {
        "purpose": purpose,
        "email": email,
        "name": name,
        "language": language,
        "cause": cause or secrets.token_hex(16),
    }

    def publish() -> None:
        try:
            send_account_email.delay(**kwargs)
        except Exception:
            logger.warning("broker unavailable; account email sent from the request")
            account_email_send(**kwargs)

    transaction.on_commit(publish)


def account_email_send(
    *, purpose: str, email: str, name: str = "", language: str = "", cause: str
) -> Notification | None:
    """In the worker: the email for this address, in its holder's language, through the outbox.

    Password reset: a link to the active account with this address; nothing when there is none.
    Sign-up: a new address becomes a requester account without a password, with a link to
    choose one (the link proves the address is theirs); an account without a password yet
    (made by an anonymous submission or an unfinished sign-up) gets the same link; an account
    with a password gets "you already have an account" with a reset link; a deactivated one
    gets nothing. `cause` makes a redelivered task send nothing twice.
    """
    email = User.objects.normalize_email(email)
    if not email or "@" not in email or len(email) > 254:
        return None
    holder = User.objects.filter(Q(email=email) | Q(username=email)).first()
    if purpose == AccountEmail.PASSWORD_RESET:
        if holder is None or not holder.is_active or not holder.email:
            return None
        kind = NotificationKind.PASSWORD_RESET
    elif purpose == AccountEmail.SIGN_UP:
        if holder is None:
            holder = _requester_without_password(email=email, name=name, language=language)
        if not holder.is_active or not holder.email:
            return None
        kind = (
            NotificationKind.ACCOUNT_EXISTS
            if holder.has_usable_password()
            else NotificationKind.SIGN_UP
        )
    else:
        raise ValueError(purpose)
    return notification_enqueue(recipient=holder, kind=kind, ticket=None, cause=f"account:{cause}")


def _requester_without_password(*, email: str, name: str, language: str) -> User:
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    user = User(
        username=email[:150],
        email=email,
        display_name=" ".join(name.split())[:150],
        role=Role.REQUESTER,
        language=language,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # signed up twice at once: the other one made it
        return User.objects.get(Q(email=email) | Q(username=email))
    return user


def account_email_context(notification: Notification) -> dict[str, Any]:
    """The links of an account email, made when it is sent (the outbox row keeps no token).

    Django's token generator signs the user's id, password hash, last sign-in and email with
    the secret key and a timestamp: the link stops working once used (the password changes),
    after a sign-in, and after PASSWORD_RESET_TIMEOUT.
    """
    user = notification.recipient
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return {
        "reset_url": settings.SITE_URL + reverse("password_reset_confirm", args=[uid, token]),
        "changed_at": notification.created_at,
        **_account_links(),
    }


def account_email_sample() -> dict[str, Any]:
    """For the managers' template preview: a link that does not work."""
    return {
        "reset_url": settings.SITE_URL + reverse("password_reset_confirm", args=["MQ", "sample"]),
        "changed_at": timezone.now(),
        **_account_links(),
    }


def _account_links() -> dict[str, Any]:
    return {
        "login_url": settings.SITE_URL + reverse("login"),
        "password_reset_url": settings.SITE_URL + reverse("password_reset"),
        "valid_hours": max(1, int(settings.PASSWORD_RESET_TIMEOUT) // 3600),
    }


def register_email_context() -> None:
    for kind in (
        NotificationKind.PASSWORD_RESET,
        NotificationKind.SIGN_UP,
        NotificationKind.ACCOUNT_EXISTS,
        NotificationKind.PASSWORD_CHANGED,
    ):
        register_context_builder(
            kind=kind, build=account_email_context, sample=account_email_sample
        )


# --- password change ----------------------------------------------------------------------------


def password_is_current(*, request: HttpRequest | None, user: User, password: str) -> bool:
    """Whether `password` is the user's, checked through authenticate(): wrong guesses count
    towards the lockout (django-axes) as they do on the sign-in page, so a stolen session or
    token cannot try passwords at full speed."""
    checked = authenticate(request, username=user.get_username(), password=password)
    return checked is not None and checked.pk == user.pk


def user_change_password(
    *, user: User, old_password: str, new_password: str, request: HttpRequest | None
) -> User:
    """The API's password change (the page uses Django's view and form, which do the same).

    Saving a new password revokes every API token of the user (accounts.validators)."""
    if not password_is_current(request=request, user=user, password=old_password):
        raise DomainError(
            _("Your old password was entered incorrectly. Please enter it again."),
            field="old_password",
        )
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), field="new_password") from None
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    return user


def password_changed(*, user: User) -> None:
    """What follows a new password, whatever the path (accounts.validators calls this): every
    API token of the user is revoked, and the holder of an account in use (signed in before)
    is told by email, with a link to take it back if it was not them. A first password (the
    end of a sign-up, an account an administrator just made) is no news to anyone."""
    api_tokens_revoke_all(user=user)
    if user.last_login is not None:
        notification_enqueue(
            recipient=user,
            kind=NotificationKind.PASSWORD_CHANGED,
            ticket=None,
            cause=f"password:{secrets.token_hex(16)}",
        )


# --- preferences ----------------------------------------------------------------------------------


def user_set_preferences(
    *, user: User, language: str | None = None, time_zone: str | None = None
) -> User:
    """Remember the user's language and/or time zone (the middleware activates them)."""
    fields = []
    if language is not None:
        _validate_language(language)
        user.language = language
        fields.append("language")
    if time_zone is not None:
        if time_zone not in zoneinfo.available_timezones():
            raise DomainError(_("Unknown time zone."), field="time_zone")
        user.time_zone = time_zone
        fields.append("time_zone")
    if fields:
        user.save(update_fields=[*fields, "updated_at"])
    return user


def _validate_language(language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise DomainError(_("Unknown language."), field="language")


# --- API tokens --------------------------------------------------------------------------------

MAX_TOKEN_NAME = 100
MAX_TOKEN_DAYS = 3650  # what a user may ask for when no HELPDESK_TOKEN_TTL_DAYS is set


def api_token_issue(
    *, user: User, name: str = "", expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new API token for the user: the row and the key, which is shown once (only its hash is
    stored). It expires after `expires_in_days`, and never later than HELPDESK_TOKEN_TTL_DAYS
    when that is set."""
    ttl = int(settings.HELPDESK_TOKEN_TTL_DAYS)
    longest = ttl if ttl > 0 else MAX_TOKEN_DAYS
    if expires_in_days is not None and not 1 <= expires_in_days <= longest:
        raise DomainError(
            _("A token lasts between 1 and %(days)d days.") % {"days": longest},
            field="expires_in_days",
        )
    days = expires_in_days or (ttl if ttl > 0 else None)
    now = timezone.now()
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(
        user=user,
        name=" ".join(name.split())[:MAX_TOKEN_NAME],
        key_hash=api_token_hash(key),
        prefix=key[:8],
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    return token, key


def api_token_create(*, user: User, name: str = "") -> str:
    """A new API token for the user; the key is returned once and only its hash is stored."""
    return api_token_issue(user=user, name=name)[1]


def api_token_revoke(*, user: User, token_id: int) -> None:
    """Delete one of the user's own tokens (someone else's is "not found", like a missing one)."""
    deleted, _rows = ApiToken.objects.filter(pk=token_id, user=user).delete()
    if not deleted:
        raise ApiToken.DoesNotExist


def api_tokens_revoke_all(*, user: User) -> int:
    """Delete every token of the user: after a password change and on deactivation."""
    deleted, _rows = ApiToken.objects.filter(user_id=user.pk).delete()
    return deleted


def api_token_touch(*, token: ApiToken, now: datetime) -> bool:
    """Record a use: the first one always (once in the token's life), then at most once per
    TOKEN_USE_PRECISION. The authentication path is hot, so most requests write nothing, and a
    conditional UPDATE lets concurrent requests write once. True when this call wrote.

    The first use is not throttled: measured from the creation, a token used only in its first
    minute (made, tried with one request, then looked at on the list) stayed "never used"."""
    last = token.last_used_at
    if last is not None and now - last < TOKEN_USE_PRECISION:
        return False
    written = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOKEN_USE_PRECISION))
        .update(last_used_at=now)
    )
    token.last_used_at = now
    return bool(written)
