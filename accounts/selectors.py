"""Reads of accounts."""

from django.db.models import QuerySet

from accounts.models import ApiToken, User


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (expired ones too, until they are revoked)."""
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-id")
