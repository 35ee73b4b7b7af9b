"""Writes to accounts: sign-up and the remembered preferences."""

import secrets
import zoneinfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import ApiToken, Role, User, api_token_hash
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


def api_token_create(*, user: User) -> str:
    """A new API token for the user; the key is returned once and only its hash is stored."""
    key = secrets.token_hex(20)
    ApiToken.objects.create(user=user, key_hash=api_token_hash(key), prefix=key[:8])
    return key
