"""Bearer-token authentication of a monitoring integration (its own token, per integration)."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from integrations.models import Integration, IntegrationKind
from integrations.selectors import integration_get_by_token

WWW_AUTHENTICATE = 'Bearer realm="integrations"'


class IntegrationTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>`; request.user is the service account, request.auth the
    integration. Only the integration endpoints use it, and only for integrations of `kind`."""

    kind: str = IntegrationKind.ALERTMANAGER

    def authenticate(self, request: Request) -> tuple[Any, Integration] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Malformed Authorization header."))
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Invalid integration token.")) from None
        integration = integration_get_by_token(token=token, kind=self.kind)
        if integration is None:
            raise AuthenticationFailed(_("Invalid integration token."))
        return integration.service_account, integration

    def authenticate_header(self, request: Request) -> str:
        return WWW_AUTHENTICATE


class AlertmanagerTokenAuthentication(IntegrationTokenAuthentication):
    kind = IntegrationKind.ALERTMANAGER


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.api.authentication.IntegrationTokenAuthentication"
    match_subclasses = True
    name = "integrationToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The integration's token, shown once when it is created or rotated.",
        }
