from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.services import api_token_create
from escalation.selectors import agent_tiers


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.CharField()
    language = serializers.CharField()
    time_zone = serializers.CharField()
    tiers = serializers.ListField(child=serializers.IntegerField())


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


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


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "token"

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer})
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
        return Response({"token": api_token_create(user=user)})
