"""Writes to accounts: sign-up, the remembered preferences and API tokens."""

import secrets
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import TOKEN_USE_PRECISION, ApiToken, Role, User, api_token_hash
from helpdesk.errors import DomainError


def user_sign_up(*, email: str, name: str, password: str, language: str) -> User:
    """A requester account whose user name is the email.

    An email already known (even a password-less requester created by an anonymous submission)
    is refused: claiming it needs a proof of ownership of the address, which we don't have here.
    """
    email = User.objects.normalize_email(email)
    if not email or "@" not in email:
        raise DomainError(_("A valid email address is required."), field="email")
    if User.objects.filter(Q(username=email) | Q(email=email)).exists():
        raise DomainError(_("An account with this email already exists."), field="email")
    _validate_language(language)
    user = User(
        username=email[:150],
        email=email,
        display_name=name.strip()[:150],
        role=Role.REQUESTER,
        language=language,
    )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # the same email signed up concurrently
        raise DomainError(_("An account with this email already exists."), field="email") from None
    return user


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


MAX_TOKEN_DAYS = 3650


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


def api_token_touch(*, token: ApiToken, now: datetime) -> None:
    """Record a use, at most once per TOKEN_USE_PRECISION: the authentication path is hot, so
    most requests write nothing, and a conditional UPDATE lets concurrent requests write once."""
    last = token.last_used_at or token.created_at
    if now - last < TOKEN_USE_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOKEN_USE_PRECISION)
    ).update(last_used_at=now)
    token.last_used_at = now
