from django.contrib.auth import authenticate, update_session_auth_hash
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import HashedTokenAuthentication
from accounts.models import ApiToken, User
from accounts.selectors import api_tokens_of
from accounts.services import (
    MAX_TOKEN_NAME,
    api_token_issue,
    api_token_revoke,
    user_change_password,
)
from escalation.selectors import agent_tiers
from helpdesk.serializers import KnownFieldsOnlyMixin
from tickets.api.serializers import ErrorSerializer


class MeSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.CharField()
    language = serializers.CharField()
    time_zone = serializers.CharField()
    tiers = serializers.ListField(child=serializers.IntegerField())


class TokenRequestSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TOKEN_NAME, help_text="To recognise it."
    )
    # As on /api/auth/tokens/: it was not a field here, so a script that asked for a token of a
    # day was silently given one that never expires.
    expires_in_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="At most HELPDESK_TOKEN_TTL_DAYS when that is set; empty: the longest allowed.",
    )


class TokenSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    token = serializers.CharField()


class ApiTokenSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    """A token as its owner sees it: never the key (only its first characters)."""

    current = serializers.SerializerMethodField(help_text="The token of this request.")
    expires_at = serializers.DateTimeField(
        source="expires",
        read_only=True,
        allow_null=True,
        help_text="When it stops working (null: when revoked).",
    )

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "current"]
        read_only_fields = fields

    def get_current(self, token: ApiToken) -> bool:
        request = self.context.get("request")
        auth = getattr(request, "auth", None)
        return isinstance(auth, ApiToken) and auth.pk == token.pk


class ApiTokenCreateSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    name = serializers.CharField(max_length=MAX_TOKEN_NAME)
    expires_in_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="At most HELPDESK_TOKEN_TTL_DAYS when that is set; empty: the longest allowed.",
    )


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(help_text="The key: shown this once, never again.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        return Response(
            MeSerializer(
                {
                    "id": user.pk,
                    "username": user.username,
                    "name": user.name,
                    "email": user.email,
                    "role": user.role,
                    "language": user.language,
                    "time_zone": user.time_zone,
                    "tiers": sorted(agent_tiers(user=user)),
                }
            ).data
        )


class PasswordChangeSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    old_password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    new_password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class PasswordView(APIView):
    """Change your password. Every API token of yours is revoked, the one of this request too:
    exchange the new password for a new token. Wrong old passwords count towards the lockout."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "token"

    @extend_schema(
        operation_id="auth_password_change",
        request=PasswordChangeSerializer,
        responses={
            204: OpenApiResponse(description="Changed; every token of yours is revoked."),
            400: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_change_password(
            user=request.user,  # type: ignore[arg-type]
            old_password=data.validated_data["old_password"],
            new_password=data.validated_data["new_password"],
            request=request._request,
        )
        if request.auth is None:  # a browser session: keep it signed in, as the page does
            update_session_auth_hash(request._request, user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _SignedInToDelete(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method != "DELETE" or bool(request.user and request.user.is_authenticated)


class TokenView(APIView):
    """POST: exchange a username and password for an API token. DELETE: revoke the token used."""

    permission_classes = [_SignedInToDelete]
    throttle_scope = "token"

    def get_authenticators(self) -> list[BaseAuthentication]:
        # The exchange reads no credentials but the password; revoking needs the token itself.
        if getattr(self.request, "method", None) == "POST":
            return []
        return [HashedTokenAuthentication()]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer},
        auth=[],  # type: ignore[arg-type]
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            return Response(
                {"message": _("Wrong username or password.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        # Each exchange issues a new token: only hashes are stored, so an old key cannot be shown.
        _token, key = api_token_issue(
            user=user,
            name=data.validated_data.get("name", ""),
            expires_in_days=data.validated_data.get("expires_in_days"),
        )
        return Response({"token": key})

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="The token of this request is revoked.")},
    )
    def delete(self, request: Request) -> Response:
        token = request.auth
        assert isinstance(token, ApiToken)  # noqa: S101 - the only authenticator on DELETE
        api_token_revoke(user=request.user, token_id=token.pk)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenListView(APIView):
    """The signed-in user's API tokens: list them, or create one (its key is shown once)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="auth_tokens_list", responses={200: ApiTokenSerializer(many=True)})
    def get(self, request: Request) -> Response:
        tokens = api_tokens_of(user=request.user)  # type: ignore[arg-type]
        return Response(ApiTokenSerializer(tokens, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="auth_tokens_create",
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenCreatedSerializer, 400: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = api_token_issue(
            user=request.user,  # type: ignore[arg-type]
            name=data.validated_data["name"],
            expires_in_days=data.validated_data.get("expires_in_days"),
        )
        token.token = key  # type: ignore[attr-defined]
        body = ApiTokenCreatedSerializer(token, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ApiTokenDetailView(APIView):
    """Revoke one of the signed-in user's tokens (someone else's is 404)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_tokens_destroy",
        request=None,
        responses={204: OpenApiResponse(description="Revoked."), 404: ErrorSerializer},
    )
    def delete(self, request: Request, pk: int) -> Response:
        try:
            api_token_revoke(user=request.user, token_id=pk)  # type: ignore[arg-type]
        except ApiToken.DoesNotExist:
            raise Http404 from None
        return Response(status=status.HTTP_204_NO_CONTENT)
