import hashlib
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """A customer organisation; its members may share their tickets with each other."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    share_tickets = models.BooleanField(
        _("members see each other's tickets"),
        default=False,
        help_text=_("When set, every member of the organisation can read its tickets."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")
    SECURITY_OFFICER = "security_officer", _("Security officer")


def normalize_identity(value: str) -> str:
    """An email address or user name as it is stored, compared and made unique.

    NFKC folds compatibility look-alikes (full-width `ｂ`, `＠`, ligatures) into their plain
    letters and casefold() ignores case (more thoroughly than lower(): `ß` is `ss`), so
    `bob@ｂeta.example` and `BOB@beta.example` are one address. NFKC runs again after the folding,
    as Unicode's NFKC_Casefold does.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return folded.strip()


class UserManager(DjangoUserManager["User"]):
    """Django's manager, with every address and user name normalised (normalize_identity)."""

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return normalize_identity(email or "")

    def get_by_natural_key(self, username: str | None) -> "User":
        # The sign-in forms, the token endpoint and the admin look users up through here.
        return self.get(**{self.model.USERNAME_FIELD: normalize_identity(username or "")})


class User(AbstractUser):
    """Everyone who signs in. An agent's tiers come from the support groups they belong to.

    `username` and `email` are stored normalised (normalize_identity): model validation (the
    admin, every ModelForm) and the services normalise them, and the email is unique.
    """

    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role, default=Role.REQUESTER)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # One account per (normalised) address; service accounts have none.
            models.UniqueConstraint(
                fields=["email"],
                condition=~Q(email=""),
                name="accounts_user_email_unique",
                violation_error_message=_("An account with this email already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def normalize_username(cls, username: Any) -> Any:
        return normalize_identity(username) if isinstance(username, str) else username

    def clean(self) -> None:
        super().clean()  # normalises the user name and the email
        # Folding may lengthen a value that was within the limits (ligatures): say so here
        # rather than fail on save.
        for name, limit in (("username", 150), ("email", 254)):
            if len(getattr(self, name) or "") > limit:
                raise ValidationError({name: _("At most %(limit)d characters.") % {"limit": limit}})

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_agent(self) -> bool:
        return self.role == Role.AGENT

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_requester(self) -> bool:
        return self.role == Role.REQUESTER

    @property
    def is_security_officer(self) -> bool:
        return self.role == Role.SECURITY_OFFICER

    @property
    def is_staff_member(self) -> bool:
        """Support staff see internal notes; requesters never do."""
        return self.role in (Role.AGENT, Role.MANAGER)


def api_token_hash(key: str) -> str:
    """What is stored of an API token: its SHA-256 (the key itself is shown once, never kept)."""
    return hashlib.sha256(key.encode()).hexdigest()


# last_used_at is written on the first use, then at most once per this interval (the
# authentication path reads only on the other requests).
TOKEN_USE_PRECISION = timedelta(minutes=1)


class ApiToken(models.Model):
    """An API token. Only the hash is stored, so a copy of the database grants no API access.

    Its owner names, lists and revokes it; it may expire (HELPDESK_TOKEN_TTL_DAYS); a password
    change or a deactivation deletes every token of the user (accounts.services).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8, help_text=_("To recognise a token."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Within TOKEN_USE_PRECISION: a use less than a minute after the last recorded one is not
    # written, so most requests cost no write. The first use always is (one UPDATE in the token's
    # life), so a token tried once right after its creation does not read "never used".
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name or self.prefix} ({self.prefix}…)"

    @property
    def expires(self) -> datetime | None:
        """When it stops working: its own expiry, and never later than HELPDESK_TOKEN_TTL_DAYS
        after its creation (so a TTL set later also ends the tokens made before it)."""
        ttl = int(getattr(settings, "HELPDESK_TOKEN_TTL_DAYS", 0) or 0)
        cap = self.created_at + timedelta(days=ttl) if ttl > 0 else None
        ends = [moment for moment in (self.expires_at, cap) if moment is not None]
        return min(ends) if ends else None

    def is_expired(self, now: datetime | None = None) -> bool:
        expires = self.expires
        return expires is not None and expires <= (now or timezone.now())
