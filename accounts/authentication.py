"""API authentication by hashed token: `Authorization: Token <key>`, looked up by its SHA-256.

Every request reads the token row again (no cache), so a revocation, an expiry, a password
change or a deactivation takes effect on the next request.
"""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import ApiToken, api_token_hash
from accounts.services import api_token_touch


class HashedTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(key)).first()
        now = timezone.now()
        if token is None or not token.user.is_active or token.is_expired(now):
            raise AuthenticationFailed(_("Invalid token."))
        api_token_touch(token=token, now=now)
        return token.user, token
